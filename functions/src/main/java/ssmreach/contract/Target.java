package ssmreach.contract;

import java.util.List;

/**
 * What one execution works on, whatever started it: subnets (all of one VPC when only
 * {@code vpcId} is given) or instances. {@code ignored} names why there is nothing to do (a failed
 * CreateSubnet call, an instance not running); {@code diagnose} asks for a diagnosis only.
 */
public record Target(String source, String vpcId, List<String> subnetIds, List<String> instanceIds,
                     boolean dryRun, boolean diagnose, String ignored) {
    public Target {
        subnetIds = subnetIds == null ? List.of() : List.copyOf(subnetIds);
        instanceIds = instanceIds == null ? List.of() : List.copyOf(instanceIds);
    }

    /** A subnet or VPC target. */
    public Target(String source, String vpcId, List<String> subnetIds, boolean dryRun, String ignored) {
        this(source, vpcId, subnetIds, List.of(), dryRun, false, ignored);
    }

    public static Target ignored(String source, boolean dryRun, String reason) {
        return new Target(source, null, List.of(), List.of(), dryRun, false, reason);
    }
}
