package ssmreach.diagnosis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.model.GroupIdentifier;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataEndpointState;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.IpRange;
import software.amazon.awssdk.services.ec2.model.NetworkAcl;
import software.amazon.awssdk.services.ec2.model.NetworkAclAssociation;
import software.amazon.awssdk.services.ec2.model.NetworkAclEntry;
import software.amazon.awssdk.services.ec2.model.Route;
import software.amazon.awssdk.services.ec2.model.RouteTable;
import software.amazon.awssdk.services.ec2.model.RouteTableAssociation;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.SecurityGroupIdentifier;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import software.amazon.awssdk.services.ec2.model.VpcEndpointType;

/**
 * One isolated subnet whose instance has everything it needs (endpoints with private DNS in its
 * zone behind a group admitting 443 from the VPC, default egress, default network ACL, DNS on),
 * as the EC2 model describes it; each test changes one thing.
 */
final class DiagnosisFixtures {
    static final String REGION = "us-east-1";
    static final String VPC = "vpc-0a1b2c3d4e5f60718";
    static final String VPC_CIDR = "10.0.0.0/16";
    static final String INSTANCE = "i-0abc1234def567890";
    static final String SUBNET = "subnet-0123456789abcdef0";
    static final String SUBNET_CIDR = "10.0.3.0/24";
    static final String ZONE = "us-east-1a";
    static final String SUBNET_B = "subnet-0b000000000000001";
    static final String ZONE_B = "us-east-1b";
    static final String INSTANCE_SG = "sg-0111111111111111a";
    static final String ENDPOINT_SG = "sg-0222222222222222b";
    static final String ACL = "acl-0123456789abcdef0";
    static final String PROFILE = "arn:aws:iam::123456789012:instance-profile/ssm-reach-SsmInstanceProfile-AbCdEf123456";
    static final List<String> SERVICES = List.of("ssm", "ssmmessages", "ec2messages");

    private DiagnosisFixtures() {}

    static String endpointId(String service) {
        return "vpce-0" + service;
    }

    static Instance.Builder instance(String state) {
        return Instance.builder().instanceId(INSTANCE).vpcId(VPC).subnetId(SUBNET).state(s -> s.name(state))
                .metadataOptions(m -> m.httpEndpoint(InstanceMetadataEndpointState.ENABLED))
                .iamInstanceProfile(p -> p.arn(PROFILE))
                .securityGroups(GroupIdentifier.builder().groupId(INSTANCE_SG).groupName("app").build());
    }

    static Subnet subnet() {
        return Subnet.builder().subnetId(SUBNET).vpcId(VPC).cidrBlock(SUBNET_CIDR).availabilityZone(ZONE).build();
    }

    static Subnet subnetB() {
        return Subnet.builder().subnetId(SUBNET_B).vpcId(VPC).cidrBlock("10.0.4.0/24").availabilityZone(ZONE_B).build();
    }

    static Route localRoute() {
        return Route.builder().destinationCidrBlock(VPC_CIDR).gatewayId("local").state("active").origin("CreateRouteTable").build();
    }

    /** The main route table with the local route and, optionally, one more. */
    static RouteTable routeTable(Route... more) {
        List<Route> routes = new ArrayList<>(List.of(localRoute()));
        routes.addAll(List.of(more));
        return RouteTable.builder().routeTableId("rtb-0main").vpcId(VPC).routes(routes)
                .associations(RouteTableAssociation.builder().main(true).routeTableAssociationId("rtbassoc-0main").build()).build();
    }

    static Route defaultRoute(String gatewayOrNat) {
        Route.Builder r = Route.builder().destinationCidrBlock("0.0.0.0/0").state("active");
        return (gatewayOrNat.startsWith("nat-") ? r.natGatewayId(gatewayOrNat)
                : gatewayOrNat.startsWith("tgw-") ? r.transitGatewayId(gatewayOrNat) : r.gatewayId(gatewayOrNat)).build();
    }

    static VpcEndpoint.Builder endpoint(String service) {
        return VpcEndpoint.builder().vpcEndpointId(endpointId(service)).vpcId(VPC).serviceName("com.amazonaws." + REGION + "." + service)
                .vpcEndpointType(VpcEndpointType.INTERFACE).state("available").privateDnsEnabled(true).subnetIds(SUBNET)
                .groups(SecurityGroupIdentifier.builder().groupId(ENDPOINT_SG).groupName("ssm-reach").build());
    }

    static IpPermission tcp(int from, int to, String cidr) {
        return IpPermission.builder().ipProtocol("tcp").fromPort(from).toPort(to).ipRanges(IpRange.builder().cidrIp(cidr).build()).build();
    }

    static IpPermission allTraffic(String cidr) {
        return IpPermission.builder().ipProtocol("-1").ipRanges(IpRange.builder().cidrIp(cidr).build()).build();
    }

    static SecurityGroup instanceGroup(IpPermission... egress) {
        return SecurityGroup.builder().groupId(INSTANCE_SG).groupName("app").vpcId(VPC).ipPermissionsEgress(egress).build();
    }

    static SecurityGroup endpointGroup(IpPermission... ingress) {
        return SecurityGroup.builder().groupId(ENDPOINT_SG).groupName("ssm-reach").vpcId(VPC).ipPermissions(ingress)
                .ipPermissionsEgress(allTraffic("0.0.0.0/0")).build();
    }

    static NetworkAclEntry entry(int rule, boolean egress, String protocol, Integer from, Integer to, String cidr, String action) {
        NetworkAclEntry.Builder e = NetworkAclEntry.builder().ruleNumber(rule).egress(egress).protocol(protocol).cidrBlock(cidr)
                .ruleAction(action);
        if (from != null) {
            e.portRange(p -> p.from(from).to(to));
        }
        return e.build();
    }

    /** The two "*" rules every network ACL ends with: deny everything, both ways. */
    static List<NetworkAclEntry> defaultDenies() {
        return List.of(entry(32767, true, "-1", null, null, "0.0.0.0/0", "deny"),
                entry(32767, false, "-1", null, null, "0.0.0.0/0", "deny"));
    }

    /** A VPC's default network ACL: allow all both ways (rule 100), then the "*" denies. */
    static List<NetworkAclEntry> allowAll() {
        List<NetworkAclEntry> entries = new ArrayList<>(List.of(entry(100, true, "-1", null, null, "0.0.0.0/0", "allow"),
                entry(100, false, "-1", null, null, "0.0.0.0/0", "allow")));
        entries.addAll(defaultDenies());
        return entries;
    }

    static NetworkAcl acl(List<NetworkAclEntry> entries) {
        return NetworkAcl.builder().networkAclId(ACL).vpcId(VPC).isDefault(true).entries(entries)
                .associations(NetworkAclAssociation.builder().networkAclId(ACL).subnetId(SUBNET).build()).build();
    }

    /** Builds InstanceFacts from the healthy defaults; each setter changes one fact. */
    static final class Facts {
        Instance instance = DiagnosisFixtures.instance("running").build();
        Subnet subnet = DiagnosisFixtures.subnet();
        Map<String, String> subnetZones = Map.of(SUBNET, ZONE, SUBNET_B, ZONE_B);
        boolean hasProfile = true;
        boolean profileExists = true;
        boolean profileHasRole = true;
        List<String> deniedActions = List.of();
        RouteTable routeTable = DiagnosisFixtures.routeTable();
        List<VpcEndpoint> endpoints = SERVICES.stream().map(s -> DiagnosisFixtures.endpoint(s).build()).toList();
        Map<String, SecurityGroup> groups = new HashMap<>(Map.of(INSTANCE_SG, instanceGroup(allTraffic("0.0.0.0/0")),
                ENDPOINT_SG, endpointGroup(tcp(443, 443, VPC_CIDR))));
        NetworkAcl networkAcl = DiagnosisFixtures.acl(allowAll());
        List<String> vpcCidrs = List.of(VPC_CIDR);
        boolean dnsSupport = true;
        boolean dnsHostnames = true;
        List<String> dnsServers = List.of();
        String pingStatus = "Online";

        Facts instance(Instance value) {
            instance = value;
            return this;
        }

        Facts profile(boolean has, boolean withRole, List<String> denied) {
            hasProfile = has;
            profileHasRole = withRole;
            deniedActions = denied;
            return this;
        }

        /** The instance keeps an association with a profile IAM no longer has. */
        Facts profileGone() {
            profileExists = false;
            profileHasRole = false;
            deniedActions = null;
            return this;
        }

        Facts routeTable(RouteTable value) {
            routeTable = value;
            return this;
        }

        Facts subnet(Subnet value) {
            subnet = value;
            return this;
        }

        Facts endpoints(List<VpcEndpoint> value) {
            endpoints = value;
            return this;
        }

        /** Replaces the endpoint of one service (null: removes it). */
        Facts endpoint(String service, VpcEndpoint value) {
            List<VpcEndpoint> changed = new ArrayList<>(endpoints.stream()
                    .filter(e -> !e.serviceName().endsWith("." + service)).toList());
            if (value != null) {
                changed.add(value);
            }
            endpoints = changed;
            return this;
        }

        Facts group(SecurityGroup value) {
            groups.put(value.groupId(), value);
            return this;
        }

        Facts acl(List<NetworkAclEntry> entries) {
            networkAcl = entries == null ? null : DiagnosisFixtures.acl(entries);
            return this;
        }

        Facts dns(boolean support, boolean hostnames) {
            dnsSupport = support;
            dnsHostnames = hostnames;
            return this;
        }

        Facts dnsServers(String... servers) {
            dnsServers = List.of(servers);
            return this;
        }

        Facts ping(String value) {
            pingStatus = value;
            return this;
        }

        InstanceFacts build() {
            return new InstanceFacts(REGION, instance, subnet, subnetZones, hasProfile, profileExists, profileHasRole, deniedActions, routeTable,
                    endpoints, groups, networkAcl, vpcCidrs, dnsSupport, dnsHostnames, dnsServers, pingStatus);
        }
    }
}
