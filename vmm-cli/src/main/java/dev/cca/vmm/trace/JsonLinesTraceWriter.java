package dev.cca.vmm.trace;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/**
 * JSON Lines (one JSON object per line, docs/tracing.md "JSON Lines schema"): {@code seq}, {@code t_ns},
 * {@code cat}, {@code ev}, {@code name}, {@code pe}, {@code icount}, {@code thread}, then the category's fields.
 */
public final class JsonLinesTraceWriter implements TraceWriter {
    private final JsonGenerator g;
    private long seq;
    private boolean finished;

    public JsonLinesTraceWriter(OutputStream out) throws IOException {
        JsonFactory f = new ObjectMapper().getFactory();
        g = f.createGenerator(out, JsonEncoding.UTF8);
        g.setRootValueSeparator(null);
    }

    @Override
    public synchronized void write(TraceEvent e) throws IOException {
        if (finished) {
            return;
        }
        g.writeStartObject();
        g.writeNumberField("seq", seq++);
        g.writeNumberField("t_ns", e.tNanos());
        g.writeStringField("cat", e.cat());
        g.writeStringField("ev", e.ev());
        if (e.name() != null) {
            g.writeStringField("name", e.name());
        }
        if (e.pe() >= 0) {
            g.writeNumberField("pe", e.pe());
        }
        if (e.icount() >= 0) {
            g.writeNumberField("icount", e.icount());
        }
        g.writeStringField("thread", e.thread());
        for (Map.Entry<String, Object> f : e.fields().entrySet()) {
            g.writeFieldName(f.getKey());
            g.writeObject(f.getValue());
        }
        g.writeEndObject();
        g.writeRaw('\n');
    }

    @Override
    public synchronized void finish(long tNanos) throws IOException {
        if (!finished) {
            finished = true;
            g.close();
        }
    }
}
