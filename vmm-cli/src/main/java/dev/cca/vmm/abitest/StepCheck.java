package dev.cca.vmm.abitest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cca.kvm.uapi.Errno;
import dev.cca.rmm.smc.Rmi;

import java.util.List;
import java.util.Map;

/**
 * Compares what a step did ({@link StepResult}) with what it must do ({@link Expect}). A difference is a
 * {@link ScenarioRunner.StepFailure} whose message says what was expected and what happened; a malformed
 * expectation is a {@link ScenarioException}. Checking reads memory (output fields, pointees, kvm_run) but changes
 * nothing.
 */
final class StepCheck {
    /** What checking needs of the machine: expressions with the scenario's variables, and process memory. */
    interface Machine {
        long eval(JsonNode n, String where);

        long read(long addr, int size);

        /** The kvm_run area of vCPU {@code fd} (mapped on first use, as a VMM would). */
        long runArea(int fd);
    }

    private final Machine m;

    StepCheck(Machine m) {
        this.m = m;
    }

    /** Checks a step that returned a value (open, close, mmap, ioctl). */
    void returned(Expect e, StepResult r, String at) {
        long result = r.value();
        boolean errorResult = r.isError();
        if (e.errno() != null) {
            int want = (int) m.eval(e.errno(), at + ".expect.errno");
            if (!errorResult || -result != want) {
                throw new ScenarioRunner.StepFailure("expected errno " + Errno.name(want) + ", got "
                        + (errorResult ? Errno.name((int) -result) : "success " + fmt(result)) + rmiFailures(r));
            }
        }
        if (e.result() != null) {
            long want = m.eval(e.result(), at + ".expect.result");
            if (result != want) {
                throw new ScenarioRunner.StepFailure("expected result " + fmt(want) + ", got "
                        + (errorResult ? Errno.name((int) -result) : fmt(result)) + rmiFailures(r));
            }
        }
        if (Boolean.TRUE.equals(e.ok()) && errorResult) {
            throw new ScenarioRunner.StepFailure("expected success, got " + Errno.name((int) -result) + rmiFailures(r));
        }
        if (r.struct() != null) {
            AbiCatalog.StructDef sdef = r.struct();
            for (Map.Entry<String, JsonNode> f : e.fields().entrySet()) {
                int[] loc = sdef.locate(f.getKey(), at + ".expect.fields");
                long got = m.read(r.structAddr() + loc[0], loc[1]);
                long want = m.eval(f.getValue(), at + ".expect.fields." + f.getKey());
                expectEq(sdef.name + "." + f.getKey(), mask(want, loc[1]), got);
            }
            for (Map.Entry<String, JsonNode> f : e.pointee().entrySet()) {
                int[] loc = sdef.locate(f.getKey(), at + ".expect.pointee");
                long ptr = m.read(r.structAddr() + loc[0], loc[1]);
                JsonNode want = f.getValue();
                if (want.has("u64")) {
                    expectEq("*" + f.getKey(), m.eval(want.get("u64"), at), m.read(ptr, 8));
                } else if (want.has("u32")) {
                    expectEq("*" + f.getKey(), m.eval(want.get("u32"), at) & 0xFFFF_FFFFL, m.read(ptr, 4));
                } else {
                    throw new ScenarioException(at + ".expect.pointee." + f.getKey() + ": {\"u64\": v} or {\"u32\": v}");
                }
            }
        } else if (!e.fields().isEmpty() || !e.pointee().isEmpty()) {
            throw new ScenarioException(at + ": 'fields' and 'save' need an ioctl with a struct argument");
        }
        if (!e.run().isEmpty()) {
            long run = m.runArea(r.fd());
            AbiCatalog.StructDef def = AbiCatalog.STRUCTS.get("kvm_run");
            for (Map.Entry<String, JsonNode> f : e.run().entrySet()) {
                int[] loc = def.locate(f.getKey(), at + ".expect.run");
                long got = m.read(run + loc[0], loc[1]);
                long want = mask(m.eval(f.getValue(), at + ".expect.run." + f.getKey()), loc[1]);
                if (f.getKey().equals("exit_reason") && got != want) {
                    throw new ScenarioRunner.StepFailure("kvm_run.exit_reason: expected " + Constants.exitName(want)
                            + ", got " + Constants.exitName(got));
                }
                expectEq("kvm_run." + f.getKey(), want, got);
            }
        }
        rmi(e, r.calls(), at);
    }

    /** Checks a step whose result is registers (smc, rsi). */
    void registers(Expect e, StepResult r, String at) {
        long[] out = r.regs();
        for (int i = 0; i < out.length; i++) {
            if (e.x(i) != null) {
                long want = m.eval(e.x(i), at + ".expect.x" + i);
                if (out[i] != want) {
                    String hint = i == 0 ? " (" + Rmi.describe(out[0]) + ")" : "";
                    throw new ScenarioRunner.StepFailure(String.format("x%d: expected %s, got %s%s", i, fmt(want),
                            fmt(out[i]), hint) + (i == 0 ? rmiFailures(r) : ""));
                }
            }
        }
        rmi(e, r.calls(), at);
    }

    /** Checks a check step's memory: {@code got} is what was read, in the order of {@code want}. */
    void memory(List<JsonNode> want, long[] got, long addr, int size, String at) {
        for (int i = 0; i < want.size(); i++) {
            if (size == 8) {
                expectEq("u64[" + i + "] at " + String.format("%#x", addr + 8L * i), m.eval(want.get(i), at + ".u64"),
                        got[i]);
            } else {
                expectEq("u32[" + i + "]", m.eval(want.get(i), at + ".u32") & 0xFFFF_FFFFL, got[i]);
            }
        }
    }

    /** "rmi": ordered subsequence, "rmi_exactly": the whole sequence, "rmi_absent": calls that must not happen. */
    private void rmi(Expect e, List<RmiCall> calls, String at) {
        if (e.rmi() != null) {
            int k = 0;
            for (JsonNode want : e.rmi()) {
                while (k < calls.size() && !matches(calls.get(k), want, at)) {
                    k++;
                }
                if (k == calls.size()) {
                    throw new ScenarioRunner.StepFailure("expected RMI call " + want + " (in order), calls made: "
                            + summary(calls));
                }
                k++;
            }
        }
        if (e.rmiExactly() != null) {
            List<JsonNode> want = e.rmiExactly();
            boolean same = want.size() == calls.size();
            for (int i = 0; same && i < want.size(); i++) {
                same = matches(calls.get(i), want.get(i), at);
            }
            if (!same) {
                throw new ScenarioRunner.StepFailure("expected exactly the RMI calls " + want + ", calls made: "
                        + summary(calls));
            }
        }
        for (String n : e.rmiAbsent()) {
            for (RmiCall c : calls) {
                if (c.name().equals(n)) {
                    throw new ScenarioRunner.StepFailure("the step made " + n + ", which it must not; calls made: "
                            + summary(calls));
                }
            }
        }
    }

    /** "RMI_X", "RMI_X:STATUS", or {"call": "RMI_X", "status": s, "x1": v, ...}. */
    private boolean matches(RmiCall c, JsonNode want, String at) {
        String name;
        JsonNode status = null;
        if (want.isTextual()) {
            String[] parts = want.textValue().split(":", 2);
            name = parts[0].trim();
            if (parts.length == 2) {
                status = JsonNodeFactory.instance.textNode(parts[1].trim());
            }
        } else {
            name = want.path("call").asText();
            status = want.get("status");
        }
        if (!c.name().equals(name)) {
            return false;
        }
        if (status != null) {
            long st = m.eval(status, at + ".rmi.status");
            // A status alone (RMI_ERROR_RTT) matches any index; "RMI_ERROR_RTT | 2 << 8" pins the index too.
            long got = st <= 0xFF ? c.out()[0] & 0xFF : c.out()[0] & 0xFFFF;
            if (got != st) {
                return false;
            }
        }
        if (want.isObject()) {
            for (int i = 1; i <= 6; i++) {
                if (want.has("x" + i) && c.args()[i] != m.eval(want.get("x" + i), at + ".rmi.x" + i)) {
                    return false;
                }
            }
        }
        return true;
    }

    static String summary(List<RmiCall> calls) {
        if (calls.isEmpty()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (RmiCall c : calls) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(c.describe());
        }
        return sb.toString();
    }

    /**
     * The failed RMI calls of a step whose result was not the expected one, with the failure condition that fired
     * when the RMM reports it: "; RMI calls that failed: RMI_DATA_CREATE=RMI_ERROR_INPUT (data_state: ...)".
     */
    private static String rmiFailures(StepResult r) {
        StringBuilder sb = new StringBuilder();
        for (RmiCall c : r.calls()) {
            if (c.out()[0] != 0 && c.failure() != null) {
                sb.append(sb.length() == 0 ? "; RMI calls that failed: " : ", ").append(c.describe());
            }
        }
        return sb.toString();
    }

    static void expectEq(String what, long expected, long actual) {
        if (expected != actual) {
            throw new ScenarioRunner.StepFailure(String.format("%s: expected %s, got %s", what, fmt(expected),
                    fmt(actual)));
        }
    }

    static String fmt(long v) {
        return v >= 0 && v < 4096 ? Long.toString(v) : String.format("%#x", v);
    }

    static long mask(long v, int size) {
        return size >= 8 ? v : v & ((1L << (8 * size)) - 1);
    }
}
