package dev.cca.vmm.abitest;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;

/**
 * Numbers in scenario files: a JSON integer, or a string expression such as {@code "KVM_VM_TYPE_ARM_REALM | 33"},
 * {@code "$code + 0x1000"}, {@code "1 << KVM_ARM_VCPU_PSCI_0_2"} or {@code "-1"}. Terms are decimal or 0x-hex
 * numbers, named constants ({@link Constants}) and variables ({@code $name}, bound by earlier steps); operators
 * are {@code | & + - << >> ~} and parentheses, evaluated with 64-bit two's-complement arithmetic.
 */
final class Expr {
    private final String src;
    private final Map<String, Long> vars;
    private int pos;
    private int depth;
    /** How deeply parentheses and unary operators may nest: far more than any expression needs, far less than the stack. */
    static final int MAX_DEPTH = 200;

    private Expr(String src, Map<String, Long> vars) {
        this.src = src;
        this.vars = vars;
    }

    /** Evaluates {@code node} (a number or an expression string); {@code where} names it in errors. */
    static long eval(JsonNode node, Map<String, Long> vars, String where) {
        if (node == null || node.isNull()) {
            throw new ScenarioException(where + ": a number is missing");
        }
        if (node.isIntegralNumber()) {
            if (!node.canConvertToLong()) {
                return node.bigIntegerValue().longValue(); // 64-bit unsigned values such as 0xffff...
            }
            return node.longValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue() ? 1 : 0;
        }
        if (!node.isTextual()) {
            throw new ScenarioException(where + ": expected a number or an expression string, got " + node);
        }
        return eval(node.textValue(), vars, where);
    }

    static long eval(String text, Map<String, Long> vars, String where) {
        Expr e = new Expr(text, vars);
        try {
            long v = e.orExpr();
            e.skipSpace();
            if (e.pos != text.length()) {
                throw e.error("unexpected '" + text.substring(e.pos) + "'");
            }
            return v;
        } catch (ScenarioException ex) {
            throw new ScenarioException(where + ": " + ex.getMessage());
        }
    }

    private ScenarioException error(String msg) {
        String shown = src.length() <= 80 ? src : src.substring(0, 77) + "...";
        return new ScenarioException("in \"" + shown + "\": " + msg);
    }

    private void skipSpace() {
        while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) {
            pos++;
        }
    }

    private boolean eat(String op) {
        skipSpace();
        if (src.startsWith(op, pos)) {
            pos += op.length();
            return true;
        }
        return false;
    }

    private long orExpr() {
        long v = andExpr();
        while (true) {
            if (eat("|")) {
                v |= andExpr();
            } else {
                return v;
            }
        }
    }

    private long andExpr() {
        long v = shiftExpr();
        while (eat("&")) {
            v &= shiftExpr();
        }
        return v;
    }

    private long shiftExpr() {
        long v = addExpr();
        while (true) {
            if (eat("<<")) {
                v <<= addExpr();
            } else if (eat(">>")) {
                v >>>= addExpr();
            } else {
                return v;
            }
        }
    }

    private long addExpr() {
        long v = unary();
        while (true) {
            if (eat("+")) {
                v += unary();
            } else if (eat("-")) {
                v -= unary();
            } else {
                return v;
            }
        }
    }

    private long unary() {
        if (++depth > MAX_DEPTH) {
            throw error("nested more than " + MAX_DEPTH + " deep (parentheses and unary operators)");
        }
        try {
            return unaryTerm();
        } finally {
            depth--;
        }
    }

    private long unaryTerm() {
        if (eat("-")) {
            return -unary();
        }
        if (eat("~")) {
            return ~unary();
        }
        if (eat("(")) {
            long v = orExpr();
            if (!eat(")")) {
                throw error("missing ')'");
            }
            return v;
        }
        return atom();
    }

    private long atom() {
        skipSpace();
        int start = pos;
        if (pos < src.length() && src.charAt(pos) == '$') {
            pos++;
            while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                pos++;
            }
            String name = src.substring(start + 1, pos);
            Long v = vars.get(name);
            if (v == null) {
                throw error("variable $" + name + " is not bound by an earlier step (bound: " + vars.keySet() + ")");
            }
            return v;
        }
        while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
            pos++;
        }
        String tok = src.substring(start, pos);
        if (tok.isEmpty()) {
            throw error(pos < src.length() ? "unexpected '" + src.charAt(pos) + "'" : "a term is missing");
        }
        if (Character.isDigit(tok.charAt(0))) {
            try {
                String t = tok.replace("_", "");
                if (t.startsWith("0x") || t.startsWith("0X")) {
                    return Long.parseUnsignedLong(t.substring(2), 16);
                }
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                throw error("'" + tok + "' is not a number");
            }
        }
        Long v = Constants.get(tok);
        if (v == null) {
            throw error("unknown constant '" + tok + "'");
        }
        return v;
    }
}
