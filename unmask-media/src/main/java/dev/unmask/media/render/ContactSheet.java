package dev.unmask.media.render;

import dev.unmask.media.pixels.FramePixels;
import dev.unmask.media.pixels.Picture;
import dev.unmask.media.face.Box;
import java.util.List;

/**
 * The sampled frames of a file in a grid, each with its face boxes (red at or above the
 * detector's threshold, green below) and a caption: frame time and score, so a reader sees at a
 * glance where in the video the detector grew suspicious.
 */
public final class ContactSheet {
    static final int THUMB_WIDTH = 192;
    static final int GAP = 4;
    static final int TITLE_HEIGHT = 24;

    private ContactSheet() {}

    /**
     * A face on a tile, in the thumbnail's pixels.
     *
     * @param score the detector's fake probability, NaN where it has none
     */
    public record TileFace(Box box, double score, boolean fake) {}

    /** One sampled frame, already shrunk to a thumbnail. */
    public record Tile(Picture thumbnail, List<TileFace> faces, String caption) {}

    /**
     * A {@code width} x {@code height} frame shrunk to the sheet's thumbnail width, made from
     * {@code shown} (the frame, or the frame already shrunk); {@link #scale(int)} maps frame boxes onto it.
     */
    public static Picture thumbnail(FramePixels shown, int width, int height) {
        int w = Math.min(THUMB_WIDTH, width);
        int h = Math.max(1, (int) Math.round((double) height * w / width));
        return Canvas.resize(shown, w, h);
    }

    /** From a frame {@code width} pixels wide to its thumbnail. */
    public static double scale(int width) {
        return (double) Math.min(THUMB_WIDTH, width) / width;
    }

    public static Picture render(String title, List<Tile> tiles) {
        int columns = Math.max(1, Math.min(6, tiles.size()));
        int rows = Math.max(1, (tiles.size() + columns - 1) / columns);
        int cellW = THUMB_WIDTH;
        int cellH = 1;
        for (Tile t : tiles) {
            cellH = Math.max(cellH, t.thumbnail().height());
        }
        cellH += Canvas.CAPTION_HEIGHT;
        int width = Math.max(columns * (cellW + GAP) + GAP, 360);
        int height = TITLE_HEIGHT + rows * (cellH + GAP) + GAP;
        try (Canvas c = new Canvas(width, height)) {
            c.text(title, GAP, TITLE_HEIGHT - 8, Canvas.WHITE);
            for (int i = 0; i < tiles.size(); i++) {
                Tile t = tiles.get(i);
                int x0 = GAP + (i % columns) * (cellW + GAP);
                int y0 = TITLE_HEIGHT + (i / columns) * (cellH + GAP);
                c.draw(t.thumbnail(), x0, y0);
                for (TileFace f : t.faces()) {
                    Box b = f.box();
                    c.rectangle(new Box(x0 + b.x(), y0 + b.y(), b.width(), b.height()),
                            Double.isNaN(f.score()) ? Canvas.GREY : f.fake() ? Canvas.RED : Canvas.GREEN, 2);
                }
                c.text(t.caption(), x0 + 2, y0 + t.thumbnail().height() + Canvas.CAPTION_HEIGHT - 7, Canvas.WHITE);
            }
            return c.picture();
        }
    }
}
