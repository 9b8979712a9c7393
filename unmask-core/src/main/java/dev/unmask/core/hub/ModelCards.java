package dev.unmask.core.hub;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Unmask reads from a Hub model card ({@code README.md}): the licence its YAML front matter
 * states. Only the plain {@code license: ID} line is read (no YAML library for one key); a card
 * with {@code license: other} and a {@code license_name} gives that name.
 */
public final class ModelCards {
    private static final Pattern KEY = Pattern.compile("(?m)^(license|license_name)\\s*:\\s*['\"]?([A-Za-z0-9][A-Za-z0-9._+-]{0,63})['\"]?\\s*$");

    private ModelCards() {}

    /** The licence id the card's front matter states, if it has front matter with one. */
    public static Optional<String> license(String card) {
        String text = card.replace("\r\n", "\n");
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        if (!text.startsWith("---\n")) {
            return Optional.empty();
        }
        int end = text.indexOf("\n---", 3);
        if (end < 0) {
            return Optional.empty();
        }
        String front = text.substring(4, end + 1);
        String license = null;
        String name = null;
        Matcher m = KEY.matcher(front);
        while (m.find()) {
            if (m.group(1).equals("license")) {
                license = license == null ? m.group(2) : license;
            } else {
                name = name == null ? m.group(2) : name;
            }
        }
        if (license == null) {
            return Optional.empty();
        }
        return Optional.of(license.equals("other") && name != null ? name : license);
    }
}
