package ssmreach.contract;

import java.util.List;

/**
 * The instances to work on: those of an instance trigger whose subnet is in scope (or any, by
 * parameter), or the running instances of the in-scope target subnets. {@code skipped} says why
 * others were left; {@code selectedAt} starts the clock for the time to Online; {@code deferred}
 * counts the running instances left for a later run, beyond what one execution takes on;
 * {@code notInScope} the running instances of a whole VPC's subnets out of scope (counted, not listed).
 */
public record InstanceSelection(List<InstanceTarget> instances, List<Skipped> skipped, boolean any, String selectedAt,
                                int deferred, int notInScope) {
    public InstanceSelection {
        instances = instances == null ? List.of() : List.copyOf(instances);
        skipped = skipped == null ? List.of() : List.copyOf(skipped);
    }

    /** A selection that took on every instance it found. */
    public InstanceSelection(List<InstanceTarget> instances, List<Skipped> skipped, boolean any, String selectedAt) {
        this(instances, skipped, any, selectedAt, 0, 0);
    }

    /** An instance left alone, and why. */
    public record Skipped(String instanceId, String reason) {}
}
