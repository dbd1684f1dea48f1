package ssmreach.contract;

import java.util.List;

/**
 * Input of the VPC preparation: the VPC, its CIDR blocks (IPv4 and IPv6), the run mode, and the
 * target subnets as classified (their ssm-reach tags tell what an earlier run left: a repair is
 * reported as one).
 */
public record VpcRequest(String vpcId, List<String> cidrBlocks, boolean dryRun, List<SubnetClassification> subnets) {
    public VpcRequest {
        cidrBlocks = cidrBlocks == null ? List.of() : List.copyOf(cidrBlocks);
        subnets = subnets == null ? List.of() : List.copyOf(subnets);
    }

    /** A VPC whose subnets are not told (nothing then counts as a repair). */
    public VpcRequest(String vpcId, List<String> cidrBlocks, boolean dryRun) {
        this(vpcId, cidrBlocks, dryRun, List.of());
    }
}
