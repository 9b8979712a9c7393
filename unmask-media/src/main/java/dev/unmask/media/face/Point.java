package dev.unmask.media.face;

/** A point in pixels of the upright frame. */
public record Point(double x, double y) {}
