package dev.unmask.media;

import dev.unmask.media.pixels.Picture;

import dev.unmask.media.face.Box;
import dev.unmask.media.face.Face;

/**
 * One face crop, ready for a model.
 *
 * @param frameNumber the frame it came from (presentation order; 0 for a still image)
 * @param seconds that frame's time
 * @param track which person (0 for the largest-face selection)
 * @param face the detection, in frame pixels
 * @param region the square cut from the frame (may extend past it; that part is black), before
 *     any turn: an eye-aligned crop is this square turned about its centre by the eye angle, a
 *     GenD-aligned one this square turned about its centre by the fitted similarity's angle
 * @param pixels the crop, resized to the contract's size
 */
public record Crop(int frameNumber, double seconds, int track, Face face, Box region, Picture pixels) {}
