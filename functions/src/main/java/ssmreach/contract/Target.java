package ssmreach.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What one execution works on, whatever started it: subnets (all of one VPC when only
 * {@code vpcId} is given) or instances, or both (a batch's group for one VPC). {@code ignored}
 * names why there is nothing to do (a failed CreateSubnet call, an instance not running);
 * {@code diagnose} asks for a diagnosis only. A batch of events (source {@code batch}) carries
 * one target per event in {@code batch}; each VPC of it then runs as an execution of its own.
 */
public record Target(String source, String vpcId, List<String> subnetIds, List<String> instanceIds,
                     boolean dryRun, boolean diagnose, String ignored,
                     @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Target> batch) {
    public static final String BATCH = "batch";

    public Target {
        subnetIds = subnetIds == null ? List.of() : List.copyOf(subnetIds);
        instanceIds = instanceIds == null ? List.of() : List.copyOf(instanceIds);
        batch = batch == null ? List.of() : List.copyOf(batch);
    }

    public Target(String source, String vpcId, List<String> subnetIds, List<String> instanceIds,
                  boolean dryRun, boolean diagnose, String ignored) {
        this(source, vpcId, subnetIds, instanceIds, dryRun, diagnose, ignored, List.of());
    }

    /** A subnet or VPC target. */
    public Target(String source, String vpcId, List<String> subnetIds, boolean dryRun, String ignored) {
        this(source, vpcId, subnetIds, List.of(), dryRun, false, ignored);
    }

    public static Target ignored(String source, boolean dryRun, String reason) {
        return new Target(source, null, List.of(), List.of(), dryRun, false, reason);
    }
}
