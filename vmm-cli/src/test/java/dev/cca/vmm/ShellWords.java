package dev.cca.vmm;

import java.util.ArrayList;
import java.util.List;

/** Splits a command line as the documents write it (words, and single quotes around words with blanks). */
public final class ShellWords {
    private ShellWords() {
    }

    public static List<String> split(String s) {
        List<String> w = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false, any = false;
        for (char c : s.toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
                any = true;
            } else if (Character.isWhitespace(c) && !quoted) {
                if (any) {
                    w.add(cur.toString());
                }
                cur.setLength(0);
                any = false;
            } else {
                cur.append(c);
                any = true;
            }
        }
        if (any) {
            w.add(cur.toString());
        }
        return w;
    }
}
