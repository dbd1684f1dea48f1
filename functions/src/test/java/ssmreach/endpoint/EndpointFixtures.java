package ssmreach.endpoint;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.IpRange;
import software.amazon.awssdk.services.ec2.model.Ipv6Range;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.SecurityGroupIdentifier;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import software.amazon.awssdk.services.ec2.model.VpcEndpointType;
import ssmreach.TestInputs;
import ssmreach.contract.Route;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.SubnetStatus;
import ssmreach.core.EarlierRun;
import ssmreach.core.Settings;

/** One VPC with two zones that have in-scope subnets, and the endpoints and groups found in it. */
final class EndpointFixtures {
    static final String VPC = "vpc-0a1b2c3d4e5f60718";
    static final String ZONE_A = "us-east-1a";
    static final String ZONE_B = "us-east-1b";
    static final String ZONE_C = "us-east-1c";
    static final String HOST_A = "subnet-0a000000000000001";
    static final String OTHER_A = "subnet-0a000000000000009";
    static final String HOST_B = "subnet-0b000000000000001";
    static final String HOST_C = "subnet-0c000000000000001";
    static final String TARGET_CIDR = "10.0.1.0/24";
    static final String MANAGED_SG = "sg-0aaaaaaaaaaaaaaa1";
    static final String FOREIGN_SG = "sg-0fffffffffffffff1";
    static final String SSM = "com.amazonaws.us-east-1.ssm";
    static final String SSMMESSAGES = "com.amazonaws.us-east-1.ssmmessages";
    static final String EC2MESSAGES = "com.amazonaws.us-east-1.ec2messages";
    static final String S3 = "com.amazonaws.us-east-1.s3";
    static final Map<String, String> ZONES_OF_SUBNETS = Map.of(HOST_A, ZONE_A, OTHER_A, ZONE_A, HOST_B, ZONE_B, HOST_C, ZONE_C);

    private EndpointFixtures() {}

    static Settings settings(Map<String, String> extra) {
        return TestInputs.settings(extra);
    }

    static final String EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:ssm-reach:run-1";

    static EndpointPlanner.VpcContext context() {
        return new EndpointPlanner.VpcContext(VPC, Map.of(ZONE_A, HOST_A, ZONE_B, HOST_B), List.of("rtb-0a", "rtb-0b"),
                ZONES_OF_SUBNETS, List.of(TARGET_CIDR), MANAGED_SG, true, EXECUTION);
    }

    /** The VPC as above, with these target subnets as classified (their tags tell what the last run left). */
    static EndpointPlanner.VpcContext context(SubnetClassification... subnets) {
        EndpointPlanner.VpcContext base = context();
        return new EndpointPlanner.VpcContext(base.vpcId(), base.endpointSubnets(), base.endpointRouteTables(), base.subnetZones(),
                base.targetCidrs(), base.managedGroupId(), base.dnsReady(), base.executionId(), List.of(subnets));
    }

    /** An in-scope subnet that the last run left reachable, served by {@code services} (as its ssm-reach:endpoints tag). */
    static SubnetClassification servedBefore(String subnetId, String zone, String routeTable, String services) {
        return subnet(subnetId, zone, routeTable,
                Map.of(EarlierRun.STATUS_TAG, EarlierRun.REACHABLE, EarlierRun.ENDPOINTS_TAG, services));
    }

    /** An in-scope subnet that no run has tagged yet. */
    static SubnetClassification untagged(String subnetId, String zone, String routeTable) {
        return subnet(subnetId, zone, routeTable, Map.of());
    }

    private static SubnetClassification subnet(String subnetId, String zone, String routeTable, Map<String, String> tags) {
        return new SubnetClassification(subnetId, zone, TARGET_CIDR, routeTable, true, Route.ISOLATED, null, SubnetStatus.IN_SCOPE,
                "no 0.0.0.0/0 route", tags);
    }

    static EndpointPlanner.Offer offer(String serviceName, String... zones) {
        return new EndpointPlanner.Offer(serviceName, java.util.Set.of(zones));
    }

    static Tag managedTag() {
        return Tag.builder().key("ssm-reach:managed").value("true").build();
    }

    static VpcEndpoint.Builder interfaceEndpoint(String id, String serviceName, String state, boolean privateDns, String... subnets) {
        return VpcEndpoint.builder().vpcEndpointId(id).vpcId(VPC).serviceName(serviceName)
                .vpcEndpointType(VpcEndpointType.INTERFACE).state(state).privateDnsEnabled(privateDns).subnetIds(subnets)
                .creationTimestamp(Instant.parse("2026-01-01T00:00:00Z"));
    }

    static VpcEndpoint.Builder gatewayEndpoint(String id, String state, String... routeTables) {
        return VpcEndpoint.builder().vpcEndpointId(id).vpcId(VPC).serviceName(S3).vpcEndpointType(VpcEndpointType.GATEWAY)
                .state(state).routeTableIds(routeTables).creationTimestamp(Instant.parse("2026-01-01T00:00:00Z"));
    }

    static SecurityGroupIdentifier groupRef(String id) {
        return SecurityGroupIdentifier.builder().groupId(id).groupName(id).build();
    }

    static SecurityGroup group(String id, IpPermission... ingress) {
        return SecurityGroup.builder().groupId(id).groupName(id).vpcId(VPC).ipPermissions(ingress).build();
    }

    static IpPermission tcp(int from, int to, String cidr) {
        IpPermission.Builder p = IpPermission.builder().ipProtocol("tcp").fromPort(from).toPort(to);
        return (cidr.contains(":") ? p.ipv6Ranges(Ipv6Range.builder().cidrIpv6(cidr).build())
                : p.ipRanges(IpRange.builder().cidrIp(cidr).build())).build();
    }
}
