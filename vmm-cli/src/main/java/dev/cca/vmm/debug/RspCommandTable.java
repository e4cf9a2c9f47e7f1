package dev.cca.vmm.debug;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The gdb stub's commands, by packet prefix: each entry is a packet name and its handler, which gets the rest of the
 * packet. A name ending in a separator or a one-letter name matches as a prefix ({@code "m"} takes
 * {@code m4000,10}, {@code "qRcmd,"} takes {@code qRcmd,6865...}); other multi-letter names ({@code "qC"},
 * {@code "vCont?"}) match the whole packet, or the packet up to a ':' or ';' ({@code "qSupported"} takes
 * {@code qSupported:swbreak+}). The longest matching name wins. A packet no entry takes gets the empty reply, the
 * protocol's "not supported"; a handler that finds its arguments malformed gets "E01".
 *
 * @param <R> what a handler returns (the stub's reply)
 */
final class RspCommandTable<R> {
    /** Handles a packet; {@code args} is what follows the name. */
    @FunctionalInterface
    interface Handler<R> {
        R handle(String args) throws IOException;
    }

    private record Entry<R>(String name, boolean prefix, Handler<R> handler) {
    }

    private final List<Entry<R>> entries = new ArrayList<>();

    /** Adds a command; see the class comment for how {@code name} matches. */
    RspCommandTable<R> on(String name, Handler<R> handler) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a command needs a name");
        }
        for (Entry<R> e : entries) {
            if (e.name.equals(name)) {
                throw new IllegalArgumentException("two handlers for " + name);
            }
        }
        char last = name.charAt(name.length() - 1);
        boolean prefix = name.length() == 1 || last == ',' || last == ':' || last == ';';
        entries.add(new Entry<>(name, prefix, handler));
        return this;
    }

    /** The entry that takes {@code packet}, or null. */
    private Entry<R> lookup(String packet) {
        Entry<R> best = null;
        for (Entry<R> e : entries) {
            if (!packet.startsWith(e.name)) {
                continue;
            }
            boolean takes = e.prefix || packet.length() == e.name.length()
                    || packet.charAt(e.name.length()) == ':' || packet.charAt(e.name.length()) == ';';
            if (takes && (best == null || e.name.length() > best.name.length())) {
                best = e;
            }
        }
        return best;
    }

    /** The name of the command that takes {@code packet}, or null (for tests and logs). */
    String commandOf(String packet) {
        Entry<R> e = lookup(packet);
        return e == null ? null : e.name;
    }

    /**
     * Runs the handler that takes {@code packet}: {@code unsupported} when there is none, {@code malformed} when the
     * handler finds the packet's arguments malformed (it throws IllegalArgumentException or IndexOutOfBounds).
     */
    R dispatch(String packet, R unsupported, R malformed) throws IOException {
        Entry<R> e = lookup(packet);
        if (e == null) {
            return unsupported;
        }
        try {
            return e.handler.handle(packet.substring(e.name.length()));
        } catch (IllegalArgumentException | IndexOutOfBoundsException ex) {
            return malformed;
        }
    }
}
