package dev.unmask.core.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which items are one video, for {@code eval} and {@code metrics} alike: a video is a video id
 * and a label. Datasets name fakes after the real video they were made from (FaceForensics++'s
 * {@code 000_003} is video 000 with 003's face), so one id holding real and fake items is two
 * videos, the real one and the fake made from it, never a video with two labels.
 */
public final class VideoKeys {
    public static final String RULE = "a video is a video id and a label: fake items under a real video's id (fakes made from it)"
            + " are a video of their own";

    private final Map<String, Integer> real = new HashMap<>();
    private final Map<String, Integer> fake = new HashMap<>();
    private final List<String> names = new ArrayList<>();
    private int shared;

    /** The index of the video of an item with this video id and label, in order of first appearance. */
    public int id(String video, boolean isFake) {
        Map<String, Integer> mine = isFake ? fake : real;
        Integer id = mine.get(video);
        if (id == null) {
            id = names.size();
            mine.put(video, id);
            names.add(video);
            if ((isFake ? real : fake).containsKey(video)) {
                shared++;
            }
        }
        return id;
    }

    public int count() {
        return names.size();
    }

    /** Video ids by index; an id holding both labels appears twice. */
    public List<String> names() {
        return List.copyOf(names);
    }

    /** How many video ids hold both real and fake items (each counted as two videos). */
    public int idsWithBothLabels() {
        return shared;
    }
}
