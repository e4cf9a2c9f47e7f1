package dev.cca.kvm.uapi;

import java.util.Locale;

/**
 * Which variant of the realm user ABI the host kernel implements. {@link #V12} is the ABI of the v12 patch series
 * ("arm64: Support for Arm CCA in KVM", December 2025); the other two answer points of its review (docs/abi.md):
 *
 * <ul>
 *   <li>{@link #POPULATE_PROGRESS}: KVM_ARM_RMI_POPULATE in the {@code _IOWR} form that v13 adopted. The kernel
 *       writes {@code base}, {@code size} and {@code source_uaddr} back as it makes progress and returns 0, so a
 *       populate of 2 GiB or more no longer overflows the {@code int} return value (review question d).</li>
 *   <li>{@link #PSCI_USER}: PSCI calls of a realm always exit to the VMM as KVM_EXIT_HYPERCALL, whatever the
 *       SMCCC filter says; the VMM must answer CPU_ON and AFFINITY_INFO with KVM_ARM_VCPU_RMI_PSCI_COMPLETE
 *       (review question a: "CCA should imply PSCI in userspace").</li>
 *   <li>{@link #REALM_CONFIG}: an extension v12 lacks: before the realm is created, the VMM chooses the
 *       measurement hash algorithm and the Realm Personalization Value with
 *       {@code KVM_ENABLE_CAP(KVM_CAP_ARM_RMI, args[0] = KVM_CAP_ARM_RMI_CONFIG_REALM, args[1] = &struct
 *       arm_rmi_config)}, the call and struct of v8-v10 (there for KVM_CAP_ARM_RME), with their errnos.</li>
 * </ul>
 *
 * Everything not listed is identical in the profiles, including {@code KVM_CAP_ARM_RMI} (247).
 */
public enum AbiProfile {
    V12("v12", "the v12 patch series as posted"),
    POPULATE_PROGRESS("populate-progress", "v12 with v13's KVM_ARM_RMI_POPULATE: _IOWR, progress written back"),
    PSCI_USER("psci-user", "v12 with every realm PSCI call forwarded to the VMM; PSCI_COMPLETE mandatory"),
    REALM_CONFIG("realm-config", "v12 with v8-v11's realm configuration (hash algorithm, RPV) through "
        + "KVM_ENABLE_CAP(KVM_CAP_ARM_RMI)");

    public final String id;
    public final String summary;

    AbiProfile(String id, String summary) {
        this.id = id;
        this.summary = summary;
    }

    /** The KVM_ARM_RMI_POPULATE request number a VMM built for this profile uses. */
    public long populateRequest() {
        return this == POPULATE_PROGRESS ? KvmUapi.KVM_ARM_RMI_POPULATE_IOWR : KvmUapi.KVM_ARM_RMI_POPULATE;
    }

    /** True if KVM_ARM_RMI_POPULATE reports its progress in the struct (and returns 0). */
    public boolean populateWritesBack() {
        return this == POPULATE_PROGRESS;
    }

    /** True if every realm PSCI call exits to the VMM regardless of the SMCCC filter. */
    public boolean psciAlwaysInUserSpace() {
        return this == PSCI_USER;
    }

    /** True if KVM_ENABLE_CAP(KVM_CAP_ARM_RMI, CONFIG_REALM) configures a realm's hash algorithm and RPV. */
    public boolean realmConfig() {
        return this == REALM_CONFIG;
    }

    /** The profile named {@code id} (case-insensitive). */
    public static AbiProfile byId(String id) {
        String k = id.trim().toLowerCase(Locale.ROOT);
        for (AbiProfile p : values()) {
            if (p.id.equals(k)) {
                return p;
            }
        }
        StringBuilder known = new StringBuilder();
        for (AbiProfile p : values()) {
            known.append(known.length() == 0 ? "" : ", ").append(p.id);
        }
        throw new IllegalArgumentException("unknown ABI profile '" + id + "' (known: " + known + ")");
    }

    @Override
    public String toString() {
        return id;
    }
}
