package ssmreach.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What one execution works on, whatever started it: subnets (all of one VPC when only
 * {@code vpcId} is given) or instances, or both (a batch's group for one VPC). {@code ignored}
 * names why there is nothing to do (a failed CreateSubnet call, an instance not running);
 * {@code diagnose} asks for a diagnosis only. A batch of events (source {@code batch}) carries
 * one target per event in {@code batch}; each VPC of it then runs as an execution of its own.
 * A route change of a batch names its route table ({@code routeTableId}), and for a replaced
 * association the new association ({@code associationId}): the batch resolves them to the
 * subnets whose route may have changed. A sweep (source {@code Sweep}) names no VPC: it takes on
 * every VPC of the Region, a page at a time; {@code after} is the last VPC an earlier page took on.
 * Each of its VPCs runs as a group that names only the VPC (all its subnets and instances).
 */
public record Target(String source, String vpcId, List<String> subnetIds, List<String> instanceIds,
                     boolean dryRun, boolean diagnose, String ignored,
                     @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Target> batch,
                     String routeTableId, String associationId,
                     @JsonInclude(JsonInclude.Include.NON_NULL) String after) {
    public static final String BATCH = "batch";
    public static final String ROUTE_CHANGE = "RouteChange";
    public static final String SWEEP = "Sweep";

    public Target {
        subnetIds = subnetIds == null ? List.of() : List.copyOf(subnetIds);
        instanceIds = instanceIds == null ? List.of() : List.copyOf(instanceIds);
        batch = batch == null ? List.of() : List.copyOf(batch);
    }

    public Target(String source, String vpcId, List<String> subnetIds, List<String> instanceIds,
                  boolean dryRun, boolean diagnose, String ignored, List<Target> batch) {
        this(source, vpcId, subnetIds, instanceIds, dryRun, diagnose, ignored, batch, null, null, null);
    }

    /** A sweep of the Region's VPCs, from the first or after the given one. */
    public static Target sweep(boolean dryRun, String after) {
        return new Target(SWEEP, null, List.of(), List.of(), dryRun, false, null, List.of(), null, null, after);
    }

    /** One VPC of a sweep: all its subnets and instances. */
    public static Target sweptVpc(String vpcId, boolean dryRun) {
        return new Target(SWEEP, vpcId, List.of(), List.of(), dryRun, false, null);
    }

    /** A route change of a batch: its route table, the subnet it associated or the association it made, if any. */
    public static Target routeChange(String routeTableId, List<String> subnetIds, String associationId, boolean dryRun) {
        return new Target(ROUTE_CHANGE, null, subnetIds, List.of(), dryRun, false, null, List.of(), routeTableId, associationId, null);
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
