package dev.unmask.media.face;

/** An axis-aligned box in pixels of the upright frame (x, y = top-left corner). */
public record Box(double x, double y, double width, double height) {
    public double area() {
        return Math.max(0, width) * Math.max(0, height);
    }

    public double centerX() {
        return x + width / 2;
    }

    public double centerY() {
        return y + height / 2;
    }

    /** Intersection over union; 0 for disjoint or empty boxes. */
    public double iou(Box o) {
        double ix = Math.min(x + width, o.x + o.width) - Math.max(x, o.x);
        double iy = Math.min(y + height, o.y + o.height) - Math.max(y, o.y);
        if (ix <= 0 || iy <= 0) {
            return 0;
        }
        double inter = ix * iy;
        double union = area() + o.area() - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
