package dev.unmask.cli;

import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Ansi.Text;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Help.ColorScheme;
import picocli.CommandLine.Help.TextTable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * Usage help that wraps long lines at spaces only. Picocli wraps with the JDK's line
 * {@link java.text.BreakIterator}, which also breaks after a dot followed by a letter or digit:
 * {@code D.unmask}, {@code model.safetensors}, {@code H.264} and {@code 0.2} came out split over
 * two lines, and a user copying them got a broken name. Every place picocli builds a
 * {@link TextTable} for the usage message is overridden here to build a {@link SpaceWrappedTable}
 * with the same columns; the layout is otherwise picocli's own.
 */
final class SpaceWrappedHelp extends Help {
    static final CommandLine.IHelpFactory FACTORY = SpaceWrappedHelp::new;
    /** Picocli's own bound (private there) on how far wrapped synopsis lines are indented. */
    private static final double MAX_SYNOPSIS_AUTO_INDENT_THRESHOLD = 0.9;

    SpaceWrappedHelp(CommandSpec spec, ColorScheme colorScheme) {
        super(spec, colorScheme);
    }

    private int width() {
        return commandSpec().usageMessage().width();
    }

    private boolean adjustCjk() {
        return commandSpec().usageMessage().adjustLineBreaksForWideCJKCharacters();
    }

    private SpaceWrappedTable table(Column... columns) {
        SpaceWrappedTable t = new SpaceWrappedTable(colorScheme(), columns);
        t.setAdjustLineBreaksForWideCJKCharacters(adjustCjk());
        return t;
    }

    @Override
    public Layout createDefaultLayout(List<OptionSpec> options, List<PositionalParamSpec> positionals, ColorScheme scheme) {
        int longOptions = calcLongOptionColumnWidth(options, positionals, scheme);
        Column[] columns = TextTable.forDefaultColumns(scheme, longOptions, width()).columns();
        SpaceWrappedTable t = new SpaceWrappedTable(scheme, columns);
        t.setAdjustLineBreaksForWideCJKCharacters(adjustCjk());
        return new Layout(scheme, t, createDefaultOptionRenderer(), createDefaultParameterRenderer());
    }

    @Override
    public String description(Object... params) {
        return join(commandSpec().usageMessage().description(), params);
    }

    @Override
    public String header(Object... params) {
        return join(commandSpec().usageMessage().header(), params);
    }

    @Override
    public String footer(Object... params) {
        return join(commandSpec().usageMessage().footer(), params);
    }

    @Override
    public String customSynopsis(Object... params) {
        return join(commandSpec().usageMessage().customSynopsis(), params);
    }

    /** Picocli's {@code Help.join}: one full-width column, wrapped lines not indented. */
    private String join(String[] lines, Object... params) {
        if (lines == null || lines.length == 0) {
            return "";
        }
        SpaceWrappedTable t = table(new Column(width(), 0, Column.Overflow.WRAP));
        t.indentWrappedLines = 0;
        for (String line : lines) {
            t.addRowValues(format(line, params));
        }
        return t.toString();
    }

    /** As picocli formats help strings ({@code %n}, {@code %%}); a string that is not a valid format is shown as is. */
    private static String format(String s, Object... params) {
        if (s == null) {
            return "";
        }
        try {
            return String.format(s, params);
        } catch (java.util.IllegalFormatException e) {
            return s;
        }
    }

    /** Picocli's synopsis layout: wrapped lines indented to just after the command name. */
    @Override
    protected String insertSynopsisCommandName(int synopsisHeadingLength, Text details) {
        UsageMessageSpec usage = commandSpec().usageMessage();
        String commandName = commandSpec().qualifiedName();
        int indent = synopsisHeadingLength + commandName.length() + 1;
        if (indent > usage.synopsisAutoIndentThreshold() * width()) {
            indent = usage.synopsisIndent() < 0 ? synopsisHeadingLength : usage.synopsisIndent();
            indent = Math.min(indent, (int) (MAX_SYNOPSIS_AUTO_INDENT_THRESHOLD * width()));
        }
        SpaceWrappedTable t = table(new Column(width(), 0, Column.Overflow.WRAP));
        t.indentWrappedLines = indent;
        Text padding = colorScheme().text("X".repeat(synopsisHeadingLength));
        t.addRowValues(padding.concat(colorScheme().commandText(commandName)).concat(details));
        return t.toString().substring(synopsisHeadingLength);
    }

    @Override
    public String commandList(Map<String, Help> subcommands) {
        if (subcommands.isEmpty()) {
            return "";
        }
        int commandLength = Math.min(subcommands.keySet().stream().mapToInt(String::length).max().orElse(0), width() / 2);
        SpaceWrappedTable t = table(new Column(commandLength + 2, 2, Column.Overflow.SPAN),
                new Column(width() - (commandLength + 2), 2, Column.Overflow.WRAP));
        for (Map.Entry<String, Help> entry : subcommands.entrySet()) {
            Help help = entry.getValue();
            UsageMessageSpec usage = help.commandSpec().usageMessage();
            String first = usage.header().length > 0 ? usage.header()[0]
                    : usage.description().length > 0 ? usage.description()[0] : "";
            Text[] lines = colorScheme().text(format(first)).splitLines();
            for (int i = 0; i < lines.length; i++) {
                t.addRowValues(i == 0 ? help.commandNamesText(", ") : colorScheme().text(""), lines[i]);
            }
        }
        return t.toString();
    }

    @Override
    public TextTable createTextTable(Map<?, ?> map) {
        if (map == null || map.isEmpty()) {
            return super.createTextTable(map);
        }
        int spacing = 3;
        int keyLength = Math.min(width() - spacing - 1, map.keySet().stream().mapToInt(k -> String.valueOf(k).length()).max().orElse(0));
        SpaceWrappedTable t = table(new Column(keyLength + spacing, 2, Column.Overflow.SPAN),
                new Column(width() - (keyLength + spacing), 2, Column.Overflow.WRAP));
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            t.addRowValues(format(String.valueOf(entry.getKey())), format(String.valueOf(entry.getValue())));
        }
        return t;
    }

    /**
     * A text table whose wrapping column breaks lines at spaces only. A word longer than the
     * whole column is still cut where the column ends: there is no other way to keep the width.
     */
    static final class SpaceWrappedTable extends TextTable {
        private final ColorScheme scheme;

        SpaceWrappedTable(ColorScheme scheme, Column[] columns) {
            super(scheme, columns);
            this.scheme = scheme;
        }

        @Override
        public Cell putValue(int row, int col, Text value) {
            Column column = columns()[col];
            if (column.overflow != Column.Overflow.WRAP || value == null || value.plainString().isEmpty()) {
                return super.putValue(row, col, value);
            }
            String plain = value.plainString();
            int start = 0;
            boolean first = true;
            Cell last = new Cell(col, row);
            while (start < plain.length()) {
                int prefix = first ? 0 : indentWrappedLines;
                int room = Math.max(1, column.width - column.indent - prefix);
                int end = lineEnd(plain, start, room);
                Text line = value.substring(start, end);
                if (!first) {
                    addEmptyRow();
                    row++;
                    line = scheme.text(" ".repeat(prefix)).concat(line);
                }
                last = super.putValue(row, col, line);
                row = last.row;
                first = false;
                start = end;
                while (start < plain.length() && plain.charAt(start) == ' ') {
                    start++;
                }
            }
            return last;
        }

        /**
         * Where the line that starts at {@code start} ends: all the rest if it fits in
         * {@code room}, else just before the last space that leaves the line within
         * {@code room}, trailing spaces dropped.
         */
        static int lineEnd(String s, int start, int room) {
            if (s.length() - start <= room) {
                return s.length();
            }
            int space = s.lastIndexOf(' ', start + room);
            while (space > start && s.charAt(space - 1) == ' ') {
                space--;
            }
            return space > start ? space : start + room;
        }
    }
}
