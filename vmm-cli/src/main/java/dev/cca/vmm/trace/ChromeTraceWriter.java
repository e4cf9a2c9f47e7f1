package dev.cca.vmm.trace;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The Trace Event format (the JSON array form) that Perfetto and chrome://tracing open, as docs/tracing.md
 * "Chrome / Perfetto schema" describes: process 1 has one track per PE with RMI and RSI calls as nested slices
 * (B/E), REC exits, exceptions and granule changes as instants and a "granules" counter; process 2 has one track
 * per host thread with its ioctls as complete slices (X) and KVM exits as instants; process 3 shows each realm's
 * lifetime (REALM_CREATE to REALM_DESTROY) as an async slice.
 */
public final class ChromeTraceWriter implements TraceWriter {
    static final int PID_PES = 1, PID_HOST = 2, PID_REALMS = 3;

    private final JsonGenerator g;
    private final Set<String> namedTracks = new HashSet<>();
    /** Open B slices per PE: the names, to close dangling ones (an RSI call that exits without returning). */
    private final Map<Integer, Deque<String>> open = new HashMap<>();
    private final Map<String, Long> granuleCounts = new LinkedHashMap<>();
    private final Set<String> liveRealms = new LinkedHashSet<>();
    private long lastNanos;
    private boolean finished;

    public ChromeTraceWriter(OutputStream out) throws IOException {
        g = new ObjectMapper().getFactory().createGenerator(out, JsonEncoding.UTF8);
        g.writeStartArray();
        metadata(PID_PES, -1, "process_name", "PEs: RMM calls, realm exits, exceptions");
        metadata(PID_HOST, -1, "process_name", "host: KVM ioctls and exits");
        metadata(PID_REALMS, -1, "process_name", "realms");
    }

    private void metadata(int pid, long tid, String what, String name) throws IOException {
        g.writeStartObject();
        g.writeStringField("ph", "M");
        g.writeNumberField("pid", pid);
        if (tid >= 0) {
            g.writeNumberField("tid", tid);
        }
        g.writeStringField("name", what);
        g.writeObjectFieldStart("args");
        g.writeStringField("name", name);
        g.writeEndObject();
        g.writeEndObject();
        g.writeRaw('\n');
    }

    private void track(int pid, long tid, String name) throws IOException {
        if (namedTracks.add(pid + "/" + tid)) {
            metadata(pid, tid, "thread_name", name);
        }
    }

    private static double micros(long ns) {
        return ns / 1000.0;
    }

    /** Starts an event object with the common keys; the caller adds args and ends it. */
    private void begin(String ph, String name, String cat, int pid, long tid, long ns) throws IOException {
        g.writeStartObject();
        g.writeStringField("ph", ph);
        if (name != null) {
            g.writeStringField("name", name);
        }
        if (cat != null) {
            g.writeStringField("cat", cat);
        }
        g.writeNumberField("pid", pid);
        g.writeNumberField("tid", tid);
        g.writeNumberField("ts", micros(ns));
    }

    private void end() throws IOException {
        g.writeEndObject();
        g.writeRaw('\n');
    }

    private void args(Map<String, Object> fields) throws IOException {
        g.writeFieldName("args");
        g.writeObject(fields);
    }

    @Override
    public synchronized void write(TraceEvent e) throws IOException {
        if (finished) {
            return;
        }
        lastNanos = Math.max(lastNanos, e.tNanos());
        switch (e.cat()) {
            case "rmi":
            case "rsi":
                call(e);
                break;
            case "rec":
                peInstant(e, "REC exit " + e.fields().get("reason"));
                closeAbandoned(e.pe(), e.tNanos());
                break;
            case "granule":
                granule(e);
                break;
            case "exception":
                peInstant(e, "exception EL" + e.fields().get("from_el") + " -> EL" + e.fields().get("to_el") + " "
                        + e.fields().get("class"));
                break;
            case "kvm":
                kvm(e);
                break;
            default:
                break;
        }
    }

    private void call(TraceEvent e) throws IOException {
        track(PID_PES, e.pe(), "PE" + e.pe());
        Deque<String> stack = open.computeIfAbsent(e.pe(), k -> new ArrayDeque<>());
        if (e.ev().equals("call")) {
            begin("B", e.name(), e.cat(), PID_PES, e.pe(), e.tNanos());
            args(e.fields());
            end();
            stack.push(e.name());
            return;
        }
        // A return closes its call; slices left open above it (calls that never returned) close first.
        if (!stack.contains(e.name())) {
            return; // the call began before the trace did
        }
        while (!stack.isEmpty() && !stack.peek().equals(e.name())) {
            begin("E", null, null, PID_PES, e.pe(), e.tNanos());
            args(Map.of("returned", false));
            end();
            stack.pop();
        }
        stack.pop();
        begin("E", null, null, PID_PES, e.pe(), e.tNanos());
        args(e.fields());
        end();
        realmLifecycle(e);
    }

    /** An RSI call that made its REC exit without returning (RMM emulates a stage-2 fault) ends at the exit. */
    private void closeAbandoned(int pe, long ns) throws IOException {
        Deque<String> stack = open.get(pe);
        while (stack != null && !stack.isEmpty() && stack.peek().startsWith("RSI_")) {
            begin("E", null, null, PID_PES, pe, ns);
            args(Map.of("returned", false));
            end();
            stack.pop();
        }
    }

    private void realmLifecycle(TraceEvent e) throws IOException {
        if (!Boolean.TRUE.equals(e.fields().get("ok"))) {
            return;
        }
        Object argsObj = e.fields().get("args");
        if (!(argsObj instanceof Map)) {
            return;
        }
        Object rd = ((Map<?, ?>) argsObj).get("rd");
        if (rd == null) {
            return;
        }
        String id = rd.toString();
        switch (e.name()) {
            case "RMI_REALM_CREATE":
                liveRealms.add(id);
                async("b", "realm " + id, id, e.tNanos(), Map.of("rd", id));
                break;
            case "RMI_REALM_ACTIVATE":
                async("n", "activated", id, e.tNanos(), Map.of("rd", id));
                break;
            case "RMI_REALM_DESTROY":
                if (liveRealms.remove(id)) {
                    async("e", "realm " + id, id, e.tNanos(), Map.of("rd", id));
                }
                break;
            default:
                break;
        }
    }

    private void async(String ph, String name, String id, long ns, Map<String, Object> a) throws IOException {
        begin(ph, name, "realm", PID_REALMS, 0, ns);
        g.writeStringField("id", id);
        args(a);
        end();
    }

    private void peInstant(TraceEvent e, String name) throws IOException {
        track(PID_PES, e.pe(), "PE" + e.pe());
        begin("i", name, e.cat(), PID_PES, e.pe(), e.tNanos());
        g.writeStringField("s", "t");
        args(e.fields());
        end();
    }

    private void granule(TraceEvent e) throws IOException {
        peInstant(e, "granule " + e.fields().get("from") + " -> " + e.fields().get("to"));
        String from = String.valueOf(e.fields().get("from"));
        String to = String.valueOf(e.fields().get("to"));
        if (!from.equals("UNDELEGATED")) {
            granuleCounts.merge(from, -1L, Long::sum);
        }
        if (!to.equals("UNDELEGATED")) {
            granuleCounts.merge(to, 1L, Long::sum);
        }
        begin("C", "granules", "granule", PID_PES, 0, e.tNanos());
        args(new LinkedHashMap<>(granuleCounts));
        end();
    }

    private void kvm(TraceEvent e) throws IOException {
        track(PID_HOST, e.threadId(), e.thread());
        if (e.ev().equals("ioctl")) {
            begin("X", e.name(), "kvm", PID_HOST, e.threadId(), e.tNanos());
            Object dur = e.fields().get("dur_ns");
            g.writeNumberField("dur", micros(dur instanceof Number ? ((Number) dur).longValue() : 0));
            args(e.fields());
            end();
        } else {
            begin("i", e.name(), "kvm", PID_HOST, e.threadId(), e.tNanos());
            g.writeStringField("s", "t");
            args(e.fields());
            end();
        }
    }

    @Override
    public synchronized void finish(long tNanos) throws IOException {
        if (finished) {
            return;
        }
        long at = Math.max(lastNanos, tNanos);
        for (Map.Entry<Integer, Deque<String>> s : open.entrySet()) {
            while (!s.getValue().isEmpty()) {
                begin("E", null, null, PID_PES, s.getKey(), at);
                args(Map.of("returned", false));
                end();
                s.getValue().pop();
            }
        }
        for (String rd : liveRealms) {
            async("e", "realm " + rd, rd, at, Map.of("rd", rd, "destroyed", false));
        }
        liveRealms.clear();
        finished = true;
        g.writeEndArray();
        g.close();
    }
}
