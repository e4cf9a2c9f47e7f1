package dev.cca.rmm.granule;

/** Granule states (RMM spec A2.2; TF-RMM {@code granule_types.h}). The ordinal is the spec's encoding. */
public enum GranuleState {
    /** UNDELEGATED: the granule belongs to the Non-secure world. */
    NS,
    DELEGATED,
    RD,
    REC,
    REC_AUX,
    DATA,
    RTT;

    public String specName() {
        return this == NS ? "UNDELEGATED" : name();
    }
}
