package ssmreach.contract;

import java.util.List;

/**
 * What one execution works on, whatever started it: the subnets to evaluate (all of one VPC when
 * only {@code vpcId} is given). {@code ignored} names why there is nothing to do (a failed
 * CreateSubnet call), in which case the lists are empty.
 */
public record Target(String source, String vpcId, List<String> subnetIds, boolean dryRun, String ignored) {
    public Target {
        subnetIds = subnetIds == null ? List.of() : List.copyOf(subnetIds);
    }
}
