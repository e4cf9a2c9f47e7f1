package dev.cca.vmm;

import picocli.CommandLine;
import picocli.CommandLine.Model.UsageMessageSpec;

import java.util.Locale;

/**
 * The footer of every command's usage help (exit statuses, examples, the memory map), rendered so that examples paste
 * as they are: a line that starts with white space (an example command, a table row) is printed whole, however long;
 * only prose lines are wrapped at the usage width. Picocli's own footer wraps every line, which cut example command
 * lines in two.
 */
final class HelpFooter {
    private HelpFooter() {
    }

    /** Installs the renderer on {@code cl} and all its subcommands. */
    static void install(CommandLine cl) {
        cl.getHelpSectionMap().put(UsageMessageSpec.SECTION_KEY_FOOTER, HelpFooter::render);
        for (CommandLine sub : cl.getSubcommands().values()) {
            install(sub);
        }
    }

    static String render(CommandLine.Help help) {
        UsageMessageSpec u = help.commandSpec().usageMessage();
        int width = u.width();
        StringBuilder sb = new StringBuilder();
        for (String element : u.footer()) {
            String text = String.format(Locale.ROOT, element);
            for (String line : text.split("\r?\n", -1)) {
                if (line.isEmpty() || Character.isWhitespace(line.charAt(0))) {
                    sb.append(line).append(System.lineSeparator());
                } else {
                    wrap(line, width, sb);
                }
            }
        }
        return sb.toString();
    }

    private static void wrap(String line, int width, StringBuilder sb) {
        int col = 0;
        for (String word : line.split(" ")) {
            if (col > 0 && col + 1 + word.length() > width) {
                sb.append(System.lineSeparator());
                col = 0;
            } else if (col > 0) {
                sb.append(' ');
                col++;
            }
            sb.append(word);
            col += word.length();
        }
        sb.append(System.lineSeparator());
    }
}
