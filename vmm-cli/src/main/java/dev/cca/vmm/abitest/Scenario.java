package dev.cca.vmm.abitest;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * A scenario (docs/abi-scenarios.md, "Scenario"): its name, the profiles it runs under, the host it boots and its
 * steps, typed. {@link Scenarios#parse} builds it from the JSON and reports what is malformed.
 */
public record Scenario(String scenario, String description, List<String> profiles, Host host, List<Entry> steps) {
    /** {@code {"cpus": 1..8, "memory_mib": 16..4096}}. */
    public record Host(JsonNode cpus, JsonNode memoryMib) {
    }

    /** One step: its kind's record, the keys every step has, its JSON (for traces) and where it is ("step 3"). */
    public record Entry(Step step, Step.Common common, JsonNode json, String where) {
    }
}
