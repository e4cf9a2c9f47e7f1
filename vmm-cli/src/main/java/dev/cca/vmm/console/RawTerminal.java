package dev.cca.vmm.console;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Puts the terminal on standard input in raw mode for a run and restores it: at {@link #restore()}, and from a
 * JVM shutdown hook if the process ends otherwise (a signal, System.exit).
 *
 * <p>This runs stty(1) with the JVM's own standard input inherited, which is the terminal in question: no native
 * code, and it works when standard output is redirected (JLine's system terminal would turn dumb then, and opening
 * /dev/tty would change the controlling terminal even when standard input is a pipe). The mode is QEMU's for a
 * stdio console: raw, no echo, no signals from the keyboard (Ctrl-C goes to the guest), output processing kept.
 */
public final class RawTerminal {
    private final String saved;
    private final Thread hook;
    private boolean restored;

    private RawTerminal(String saved) {
        this.saved = saved;
        this.hook = new Thread(this::restoreNow, "cca-terminal-restore");
    }

    /** What standard input is, for the console. */
    public enum Stdin {
        /** A pipe or a file (or no stty to tell): bytes pass through. */
        NOT_A_TERMINAL,
        /** A terminal this process may use: raw mode and escapes. */
        TERMINAL,
        /**
         * A terminal whose foreground is another process group (a background job, or under timeout(1)): reading it
         * or changing its mode would stop this process (SIGTTIN, SIGTTOU), so the console gets no input.
         */
        BACKGROUND_TERMINAL
    }

    /** Classifies the JVM's standard input. */
    public static Stdin classify() {
        if (!mayBeTerminal()) {
            return Stdin.NOT_A_TERMINAL; // no stty process to start: most runs (pipes, files, tests, benchmarks)
        }
        String saved = stty("-g"); // tcgetattr: allowed from the background
        if (saved == null || saved.isBlank()) {
            return Stdin.NOT_A_TERMINAL;
        }
        return inForeground() ? Stdin.TERMINAL : Stdin.BACKGROUND_TERMINAL;
    }

    /**
     * False when standard input is known not to be a terminal without asking stty: /proc/self/fd/0 names a pipe, a
     * socket, a regular file or /dev/null. True where /proc cannot tell.
     */
    static boolean mayBeTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString();
            return target.startsWith("/dev/") && !target.equals("/dev/null");
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    /**
     * Whether this process is in the foreground process group of its controlling terminal: /proc/self/stat's
     * pgrp equals its tpgid. Assumed where /proc is not (the check is for Linux job control).
     */
    static boolean inForeground() {
        try {
            String s = Files.readString(Path.of("/proc/self/stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return f[2].equals(f[5]); // state ppid pgrp session tty_nr tpgid
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    /** Raw mode on standard input, a terminal in the foreground; null if stty fails. */
    public static RawTerminal enter() {
        String saved = stty("-g");
        if (saved == null || saved.isBlank()) {
            return null;
        }
        RawTerminal t = new RawTerminal(saved.trim());
        Runtime.getRuntime().addShutdownHook(t.hook);
        if (stty("raw", "-echo", "opost") == null) {
            t.restore();
            return null;
        }
        return t;
    }

    /** Restores the saved mode (once). */
    public void restore() {
        restoreNow();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs or ran
        }
    }

    private synchronized void restoreNow() {
        if (!restored) {
            restored = true;
            stty(saved);
        }
    }

    /** Runs stty on the inherited standard input; its output, or null if it failed. */
    private static String stty(String... args) {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add("stty");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
