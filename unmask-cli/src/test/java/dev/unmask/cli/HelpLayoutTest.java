package dev.unmask.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every command's help, at 80 and 100 columns, keeps each word of its help strings on one line:
 * {@code D.unmask}, {@code model.safetensors}, {@code 0.2} and the like are never split where
 * the JDK's line breaker would split them (after a dot).
 */
class HelpLayoutTest {

    @Test
    void noHelpLineBreaksInsideAWordAndNoneIsTooWide() {
        for (int width : new int[] {80, 100}) {
            CommandLine root = Main.commandLine();
            root.setUsageHelpWidth(width);
            List<String> problems = new ArrayList<>();
            Main.everyCommand(root, c -> {
                String help = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
                problems.addAll(splitWords(c.getCommandSpec(), help));
                help.lines().filter(l -> l.length() > width)
                        .forEach(l -> problems.add(c.getCommandSpec().qualifiedName() + ": wider than " + width + ": " + l));
            });
            assertThat(problems).as("at width " + width).isEmpty();
        }
    }

    /** The check above fails on picocli's own layout, which is why {@link SpaceWrappedHelp} exists. */
    @Test
    void picocliAloneSplitsWordsAtDots() {
        CommandLine root = Main.commandLine();
        root.setHelpFactory(CommandLine.Help::new);
        CommandLine train = root.getSubcommands().get("train");
        List<String> problems = splitWords(train.getCommandSpec(), train.getUsageMessage(CommandLine.Help.Ansi.OFF));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("model.safetensors"));
    }

    @Test
    void usageHelpIsStillPicocliLayout() {
        CliRun r = CliRun.of("train", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith("Usage: unmask train [-hV]");
        // Option names in their column, descriptions after, wrapped lines indented two more.
        assertThat(r.out()).containsPattern("\n      --epochs=N +Default: 100 for probe, 20 otherwise\\.\n");
        assertThat(r.out()).containsPattern("\n {30}\\S");
    }

    /**
     * Words of the command's help strings (descriptions, {@code --option=LABEL}) that do not
     * appear whole in the rendered help as often as they are used there. A word broken over two
     * lines shows as two pieces, neither containing it.
     */
    static List<String> splitWords(CommandSpec spec, String rendered) {
        Map<String, Integer> expected = new HashMap<>();
        List<String> texts = new ArrayList<>();
        texts.addAll(List.of(spec.usageMessage().description()));
        texts.addAll(List.of(spec.usageMessage().header()));
        texts.addAll(List.of(spec.usageMessage().footer()));
        for (CommandLine sub : spec.subcommands().values()) {
            // The command list shows a subcommand's first header line, else its first description line.
            var usage = sub.getCommandSpec().usageMessage();
            String[] shown = usage.header().length > 0 ? usage.header() : usage.description();
            if (shown.length > 0 && !usage.hidden()) {
                texts.add(shown[0]);
            }
        }
        for (OptionSpec o : spec.options()) {
            if (o.hidden()) {
                continue;
            }
            texts.addAll(List.of(o.description()));
            if (o.arity().max() > 0) {
                // In the synopsis and in the option list.
                expected.merge(o.longestName() + "=" + o.paramLabel(), 2, Integer::sum);
            }
        }
        for (String text : texts) {
            for (String word : text.replace("%%", "%").split("%n|\\s+")) {
                String w = word.replaceAll("^[(\\[\"']+|[)\\],;:\"']+$", "");
                if (!w.isEmpty() && !w.contains("$")) {
                    expected.merge(w, 1, Integer::sum);
                }
            }
        }
        String[] renderedWords = rendered.split("\\s+");
        List<String> problems = new ArrayList<>();
        expected.forEach((word, times) -> {
            long found = java.util.Arrays.stream(renderedWords).filter(r -> r.contains(word)).count();
            if (found < times) {
                problems.add(spec.qualifiedName() + ": \"" + word + "\" is whole " + found + " times, used " + times + " times");
            }
        });
        return problems;
    }
}
