package dev.unmask.media.render;

import dev.unmask.core.explain.HeatMap;
import dev.unmask.media.pixels.Natives;
import dev.unmask.media.pixels.Picture;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * A heat map over a face as the paper's figures show it: values in [0, 1] coloured with
 * OpenCV's JET map (what the authors' {@code cv2.applyColorMap} uses: blue cold, red hot) and
 * blended 50/50 with the face.
 */
public final class HeatOverlay {
    private HeatOverlay() {}

    /**
     * @param face the crop the model saw (any size; the map is stretched to it, nearest-neighbour,
     *             so each patch stays a sharp-edged block as in the paper's figures)
     * @param map  a normalised map (values in [0, 1]) over the model input
     */
    public static Picture blend(Picture face, HeatMap map) {
        Natives.opencv();
        int w = face.width();
        int h = face.height();
        byte[] grey = new byte[w * h];
        for (int y = 0; y < h; y++) {
            int my = Math.min(map.height() - 1, (int) ((long) y * map.height() / h));
            for (int x = 0; x < w; x++) {
                int mx = Math.min(map.width() - 1, (int) ((long) x * map.width() / w));
                float v = map.at(mx, my);
                grey[y * w + x] = (byte) Math.round(255 * Math.max(0f, Math.min(1f, v)));
            }
        }
        try (Mat g = new Mat(h, w, opencv_core.CV_8UC1); Mat colour = new Mat(); Mat f = face.toMat(); Mat out = new Mat()) {
            g.data().put(grey, 0, grey.length);
            opencv_imgproc.applyColorMap(g, colour, opencv_imgproc.COLORMAP_JET);
            opencv_core.addWeighted(f, 0.5, colour, 0.5, 0, out);
            return Picture.of(out);
        }
    }

    /**
     * The face and its overlay side by side, at least 224 pixels each (small model inputs are
     * enlarged pixel for pixel), with a caption of one or two lines underneath.
     */
    public static Picture panel(Picture face, HeatMap map, String captionLine1, String captionLine2) {
        Picture overlay = blend(face, map);
        Picture shown = face;
        if (face.width() < 224) {
            int h = Math.max(1, 224 * face.height() / face.width());
            shown = Canvas.resize(face, 224, h);
            overlay = Canvas.resize(overlay, 224, h);
        }
        int captionHeight = 2 * Canvas.CAPTION_HEIGHT - 4;
        try (Canvas c = new Canvas(shown.width() * 2, shown.height() + captionHeight)) {
            c.draw(shown, 0, 0);
            c.draw(overlay, shown.width(), 0);
            c.text(captionLine1, 4, shown.height() + Canvas.CAPTION_HEIGHT - 7, Canvas.WHITE);
            c.text(captionLine2, 4, shown.height() + captionHeight - 6, Canvas.GREY);
            return c.picture();
        }
    }
}
