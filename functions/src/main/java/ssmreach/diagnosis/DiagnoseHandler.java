package ssmreach.diagnosis;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.NetworkAcl;
import software.amazon.awssdk.services.ec2.model.RouteTable;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.SecurityGroupIdentifier;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.Vpc;
import software.amazon.awssdk.services.ec2.model.VpcAttributeName;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.Role;
import software.amazon.awssdk.services.ssm.SsmClient;
import ssmreach.contract.Diagnosis;
import ssmreach.contract.DiagnosisRequest;
import ssmreach.core.Clients;
import ssmreach.core.JsonHandler;
import ssmreach.core.Settings;
import ssmreach.core.Twins;
import ssmreach.instance.AgentPermissions;
import ssmreach.instance.PingStatuses;

/**
 * Diagnoses why instances are not Online: reads what matters (instance, profile and role,
 * route, endpoints, security groups, network ACL, VPC DNS, DHCP options, SSM's answer), then runs
 * the checks of {@link Diagnostician}. Reads only; never changes anything.
 */
public class DiagnoseHandler extends JsonHandler<DiagnosisRequest, Diagnosis> {
    private final Settings settings;
    private final Ec2Client ec2;
    private final IamClient iam;
    private final SsmClient ssm;

    public DiagnoseHandler() {
        this(Settings.fromEnvironment());
    }

    private DiagnoseHandler(Settings settings) {
        this(settings, Clients.ec2(settings), Clients.iam(settings), Clients.ssm(settings));
        primeBeforeSnapshot(settings);
    }

    public DiagnoseHandler(Settings settings, Ec2Client ec2, IamClient iam, SsmClient ssm) {
        super(DiagnosisRequest.class);
        this.settings = settings;
        this.ec2 = ec2;
        this.iam = iam;
        this.ssm = ssm;
    }

    @Override
    protected void prime(Twins twins) throws IOException {
        serveSamples(new DiagnoseHandler(settings, twins.ec2(), twins.iam(), twins.ssm()), twins);
    }

    @Override
    public Diagnosis handle(DiagnosisRequest request) {
        if (request.instanceIds().isEmpty()) {
            return new Diagnosis(List.of());
        }
        Map<String, Instance> instances = ec2.describeInstancesPaginator(r -> r.filters(filter("instance-id", request.instanceIds())))
                .reservations().stream().flatMap(r -> r.instances().stream())
                .collect(Collectors.toMap(Instance::instanceId, Function.identity(), (a, b) -> a));
        Map<String, String> ping = PingStatuses.of(ssm, request.instanceIds());
        List<Diagnosis.InstanceDiagnosis> results = new ArrayList<>();
        Map<String, VpcView> views = new java.util.HashMap<>();
        for (String id : request.instanceIds()) {
            Instance instance = instances.get(id);
            if (instance == null || instance.vpcId() == null) {
                results.add(Diagnostician.diagnose(id, new InstanceFacts(settings.region(), null, null, Map.of(), false, false, false,
                        null, null, List.of(), Map.of(), null, List.of(), false, false, List.of(), ping.get(id))));
                continue;
            }
            VpcView vpc = views.computeIfAbsent(instance.vpcId(), this::read);
            results.add(Diagnostician.diagnose(id, facts(instance, vpc, ping.get(id))));
        }
        return new Diagnosis(results);
    }

    private InstanceFacts facts(Instance instance, VpcView vpc, String pingStatus) {
        Subnet subnet = vpc.subnets().stream().filter(s -> s.subnetId().equals(instance.subnetId())).findFirst().orElse(null);
        RouteTable table = vpc.tables().stream()
                .filter(t -> t.associations().stream().anyMatch(a -> instance.subnetId().equals(a.subnetId()))).findFirst()
                .or(() -> vpc.tables().stream().filter(t -> t.associations().stream().anyMatch(a -> Boolean.TRUE.equals(a.main()))).findFirst())
                .orElse(null);
        NetworkAcl acl = vpc.acls().stream()
                .filter(a -> a.associations().stream().anyMatch(x -> instance.subnetId().equals(x.subnetId()))).findFirst()
                .or(() -> vpc.acls().stream().filter(a -> Boolean.TRUE.equals(a.isDefault())).findFirst()).orElse(null);
        boolean hasProfile = instance.iamInstanceProfile() != null;
        AgentPermissions.ProfileRole profile = hasProfile ? AgentPermissions.roleOf(iam, instance.iamInstanceProfile().arn()) : null;
        Role role = profile == null ? null : profile.role();
        List<String> denied = role == null ? null : AgentPermissions.denied(iam, role);
        Set<String> groupIds = new TreeSet<>();
        instance.securityGroups().forEach(g -> groupIds.add(g.groupId()));
        vpc.endpoints().forEach(e -> e.groups().stream().map(SecurityGroupIdentifier::groupId).forEach(groupIds::add));
        Map<String, SecurityGroup> groups = groupIds.isEmpty() ? Map.of()
                : ec2.describeSecurityGroups(r -> r.filters(filter("group-id", groupIds))).securityGroups().stream()
                        .collect(Collectors.toMap(SecurityGroup::groupId, Function.identity()));
        Map<String, String> zones = vpc.subnets().stream().collect(Collectors.toMap(Subnet::subnetId, Subnet::availabilityZone));
        return new InstanceFacts(settings.region(), instance, subnet, zones, hasProfile, profile != null && profile.exists(),
                role != null, denied, table,
                vpc.endpoints(), groups, acl, vpc.cidrs(), vpc.dnsSupport(), vpc.dnsHostnames(), vpc.dnsServers(), pingStatus);
    }

    /** What one VPC contributes to the diagnosis of its instances, read once. */
    private record VpcView(List<Subnet> subnets, List<RouteTable> tables, List<NetworkAcl> acls, List<VpcEndpoint> endpoints,
                           List<String> cidrs, boolean dnsSupport, boolean dnsHostnames, List<String> dnsServers) {}

    private VpcView read(String vpcId) {
        Filter inVpc = filter("vpc-id", List.of(vpcId));
        Vpc vpc = ec2.describeVpcs(r -> r.vpcIds(vpcId)).vpcs().getFirst();
        List<String> cidrs = Stream.concat(Optional.ofNullable(vpc.cidrBlock()).stream(),
                vpc.cidrBlockAssociationSet().stream().map(a -> a.cidrBlock())).distinct().toList();
        List<String> dnsServers = vpc.dhcpOptionsId() == null || "default".equals(vpc.dhcpOptionsId()) ? List.of()
                : ec2.describeDhcpOptions(r -> r.dhcpOptionsIds(vpc.dhcpOptionsId())).dhcpOptions().stream()
                        .flatMap(o -> o.dhcpConfigurations().stream())
                        .filter(c -> "domain-name-servers".equals(c.key()))
                        .flatMap(c -> c.values().stream().map(v -> v.value()))
                        .filter(v -> !"AmazonProvidedDNS".equals(v)).toList();
        return new VpcView(
                ec2.describeSubnetsPaginator(r -> r.filters(inVpc)).subnets().stream().toList(),
                ec2.describeRouteTablesPaginator(r -> r.filters(inVpc)).routeTables().stream().toList(),
                ec2.describeNetworkAclsPaginator(r -> r.filters(inVpc)).networkAcls().stream().toList(),
                ec2.describeVpcEndpointsPaginator(r -> r.filters(inVpc)).vpcEndpoints().stream().toList(),
                cidrs,
                Boolean.TRUE.equals(ec2.describeVpcAttribute(r -> r.vpcId(vpcId).attribute(VpcAttributeName.ENABLE_DNS_SUPPORT))
                        .enableDnsSupport().value()),
                Boolean.TRUE.equals(ec2.describeVpcAttribute(r -> r.vpcId(vpcId).attribute(VpcAttributeName.ENABLE_DNS_HOSTNAMES))
                        .enableDnsHostnames().value()),
                dnsServers);
    }

    private static Filter filter(String name, Collection<String> values) {
        return Filter.builder().name(name).values(values).build();
    }
}
