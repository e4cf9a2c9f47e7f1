package dev.cca.vmm.trace;

import java.io.Closeable;
import java.io.IOException;

/** Writes trace events in one format. Implementations are called from many threads and synchronize. */
public interface TraceWriter extends Closeable {
    void write(TraceEvent e) throws IOException;

    /** Ends the trace at {@code tNanos} (closing what the format needs closed) and closes the output. */
    void finish(long tNanos) throws IOException;

    @Override
    default void close() throws IOException {
        finish(-1);
    }
}
