package dev.cca.vmm.trace;

import java.util.Map;

/**
 * One trace event, independent of the output format. {@code pe} is the PE the event happened on (-1 for host
 * events such as ioctls), {@code icount} that PE's instruction count (-1 when not on a PE), {@code thread} and
 * {@code threadId} the Java thread (the host thread making a system call, or the thread running the PE).
 * {@code fields} holds the category's fields in the order docs/tracing.md lists them; values are strings,
 * numbers, booleans, lists or maps.
 */
public record TraceEvent(long tNanos, String cat, String ev, String name, int pe, long icount, String thread,
                         long threadId, Map<String, Object> fields) {
}
