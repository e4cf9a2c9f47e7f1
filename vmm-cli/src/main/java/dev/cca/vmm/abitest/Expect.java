package dev.cca.vmm.abitest;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * What a step must do (docs/abi-scenarios.md, "Expectations"): its return value or errno, output fields of its
 * argument struct and what pointers in it point to, fields of the vCPU's kvm_run, the RMI calls it makes, and for
 * smc and rsi steps the registers after the call. Absent keys are null (or empty).
 */
public record Expect(Boolean ok, JsonNode result, JsonNode errno, Map<String, JsonNode> fields,
        Map<String, JsonNode> pointee, Map<String, JsonNode> run, List<JsonNode> rmi, List<JsonNode> rmiExactly,
        List<String> rmiAbsent, JsonNode x0, JsonNode x1, JsonNode x2, JsonNode x3, JsonNode x4, JsonNode x5,
        JsonNode x6, JsonNode x7) {
    public Expect {
        fields = fields == null ? Map.of() : fields;
        pointee = pointee == null ? Map.of() : pointee;
        run = run == null ? Map.of() : run;
        rmiAbsent = rmiAbsent == null ? List.of() : rmiAbsent;
    }

    /** A step without expectations that returns a value must succeed. */
    static final Expect SUCCEEDS = new Expect(true, null, null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null);

    /** An smc step without expectations must return RMI_SUCCESS in X0. */
    static final Expect SMC_SUCCEEDS = new Expect(null, null, null, null, null, null, null, null, null,
            com.fasterxml.jackson.databind.node.IntNode.valueOf(0), null, null, null, null, null, null, null);

    /** Nothing expected (an rsi step without "expect"). */
    static final Expect NOTHING = new Expect(null, null, null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null);

    /** The expected register Xi, or null. */
    JsonNode x(int i) {
        return switch (i) {
            case 0 -> x0;
            case 1 -> x1;
            case 2 -> x2;
            case 3 -> x3;
            case 4 -> x4;
            case 5 -> x5;
            case 6 -> x6;
            case 7 -> x7;
            default -> null;
        };
    }

    /** Whether any of x0..x7 is given. */
    boolean hasRegisters() {
        for (int i = 0; i < 8; i++) {
            if (x(i) != null) {
                return true;
            }
        }
        return false;
    }

    /** Whether the step is expected to fail: an errno, or an SMC/RSI status other than success in X0. */
    boolean expectsFailure(java.util.function.ToLongFunction<JsonNode> eval) {
        return errno != null || (x0 != null && eval.applyAsLong(x0) != 0);
    }
}
