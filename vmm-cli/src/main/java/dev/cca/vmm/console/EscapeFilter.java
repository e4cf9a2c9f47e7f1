package dev.cca.vmm.console;

/**
 * QEMU's console escapes on terminal input: Ctrl-A x quits, Ctrl-A h prints help, Ctrl-A Ctrl-A sends one Ctrl-A
 * to the guest; Ctrl-A followed by anything else is dropped. Every other byte goes to the guest unchanged. The
 * escape may span reads.
 */
public final class EscapeFilter {
    public static final int CTRL_A = 0x01;
    public static final String HELP = String.join("\n", // the terminal keeps output processing: \n is CR LF
            "C-a h    print this help",
            "C-a x    exit cca (the run ends as stopped by the user)",
            "C-a C-a  send C-a to the guest",
            "");

    /** What an escape asks of the VMM. */
    public interface Actions {
        void quit();

        void help();
    }

    private final Actions actions;
    private boolean escape;

    public EscapeFilter(Actions actions) {
        this.actions = actions;
    }

    /**
     * Filters {@code buf[0..n)} in place: returns how many bytes at its start go to the guest. Stops at a quit:
     * what follows it is not for the guest.
     */
    public int filter(byte[] buf, int n) {
        int w = 0;
        for (int i = 0; i < n; i++) {
            int c = buf[i] & 0xFF;
            if (escape) {
                escape = false;
                if (c == CTRL_A) {
                    buf[w++] = (byte) CTRL_A;
                } else if (c == 'x' || c == 'X') {
                    actions.quit();
                    return w;
                } else if (c == 'h' || c == 'H' || c == '?') {
                    actions.help();
                }
            } else if (c == CTRL_A) {
                escape = true;
            } else {
                buf[w++] = (byte) c;
            }
        }
        return w;
    }
}
