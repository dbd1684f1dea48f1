package ssmreach.contract;

import java.util.List;
import java.util.Map;

/**
 * The classification of a VPC's target subnets, plus what the endpoints need from the whole VPC:
 * one subnet per Availability Zone to host interface endpoints, the route tables of all in-scope
 * subnets for the S3 gateway, and each subnet's zone.
 *
 * <p>{@code instancesWithoutPublicIpv4}: running instances of public target subnets that have no
 * public IPv4 address; the internet gateway route carries nothing for them, so they are taken on
 * as instances of an isolated subnet (their zones get endpoints). {@code anyInScope}: a target
 * subnet is in scope, or such an instance was found: the VPC's endpoints are to be ensured.
 * {@code findings}: what the classification alone tells a person (an IPv6-only subnet, an instance
 * without a public address).
 */
public record VpcClassification(
        String vpcId,
        List<String> cidrBlocks,
        boolean anyInScope,
        List<SubnetClassification> subnets,
        List<InstanceTarget> instancesWithoutPublicIpv4,
        Map<String, String> endpointSubnets,
        List<String> endpointRouteTables,
        Map<String, String> subnetZones,
        List<Finding> findings) {

    public VpcClassification {
        cidrBlocks = cidrBlocks == null ? List.of() : List.copyOf(cidrBlocks);
        subnets = subnets == null ? List.of() : List.copyOf(subnets);
        instancesWithoutPublicIpv4 = instancesWithoutPublicIpv4 == null ? List.of() : List.copyOf(instancesWithoutPublicIpv4);
        endpointSubnets = endpointSubnets == null ? Map.of() : Map.copyOf(endpointSubnets);
        endpointRouteTables = endpointRouteTables == null ? List.of() : List.copyOf(endpointRouteTables);
        subnetZones = subnetZones == null ? Map.of() : Map.copyOf(subnetZones);
        findings = findings == null ? List.of() : List.copyOf(findings);
    }

    /** A classification of subnets alone: no instance taken on for its address, no finding. */
    public VpcClassification(String vpcId, List<String> cidrBlocks, boolean anyInScope, List<SubnetClassification> subnets,
                             Map<String, String> endpointSubnets, List<String> endpointRouteTables, Map<String, String> subnetZones) {
        this(vpcId, cidrBlocks, anyInScope, subnets, List.of(), endpointSubnets, endpointRouteTables, subnetZones, List.of());
    }
}
