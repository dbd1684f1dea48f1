package ssmreach.subnet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.RouteTable;
import software.amazon.awssdk.services.ec2.model.RouteTableAssociation;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.Vpc;
import ssmreach.contract.Finding;
import ssmreach.contract.InstanceTarget;
import ssmreach.contract.Route;
import ssmreach.contract.Severity;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.VpcClassification;
import ssmreach.core.Settings;

/**
 * Classifies the subnets of one VPC from what EC2 describes of it, by {@link Reachability}; no AWS
 * call here. Every subnet of the VPC is classified (two Describe calls cover them all), because the
 * endpoints must serve every zone that has an in-scope subnet, not only the target's.
 */
public final class VpcClassifier {
    private final Settings settings;

    public VpcClassifier(Settings settings) {
        this.settings = settings;
    }

    /** The subnets alone, without looking at any instance. */
    public VpcClassification classify(Vpc vpc, Collection<Subnet> subnets, Collection<RouteTable> routeTables,
                                      Collection<String> targetIds) {
        return classify(vpc, subnets, routeTables, targetIds, List.of());
    }

    /**
     * The subnets, and among {@code instances} those of public target subnets that have no public
     * IPv4 address: they are taken on as instances of an isolated subnet.
     */
    public VpcClassification classify(Vpc vpc, Collection<Subnet> subnets, Collection<RouteTable> routeTables,
                                      Collection<String> targetIds, Collection<Instance> instances) {
        boolean vpcOptedOut = optedOut(vpc.tags());
        Optional<RouteTable> main = routeTables.stream()
                .filter(table -> table.associations().stream().anyMatch(a -> Boolean.TRUE.equals(a.main()))).findFirst();

        Map<String, SubnetClassification> all = new TreeMap<>();
        for (Subnet subnet : subnets) {
            all.put(subnet.subnetId(), classify(subnet, routeTables, main, vpcOptedOut));
        }
        List<SubnetClassification> targets = new ArrayList<>();
        for (String id : targetIds.isEmpty() ? all.keySet() : targetIds) {
            targets.add(all.getOrDefault(id, SubnetClassification.gone(id)));
        }
        Set<String> targetSubnets = targets.stream().map(SubnetClassification::subnetId).collect(Collectors.toSet());
        List<InstanceTarget> withoutPublicIpv4 = instances.stream()
                .filter(i -> i.state() != null && "running".equals(i.state().nameAsString()) && targetSubnets.contains(i.subnetId()))
                .filter(i -> {
                    SubnetClassification subnet = all.get(i.subnetId());
                    return subnet != null && subnet.status() == SubnetStatus.OUT_OF_SCOPE
                            && Reachability.withoutPublicIpv4InPublicSubnet(subnet.route(), i);
                })
                .map(i -> new InstanceTarget(i.instanceId(), i.subnetId(), "running"))
                .sorted(Comparator.comparing(InstanceTarget::subnetId).thenComparing(InstanceTarget::instanceId)).toList();

        // The lowest subnet id per zone, so that concurrent executions choose the same subnets
        // (and so send the same idempotency token). A zone with no in-scope subnet but an instance
        // without a public address gets the endpoints in that instance's subnet. Its route table is
        // left out of the S3 gateway: that would move the S3 traffic of every instance there off the
        // internet gateway.
        Map<String, String> endpointSubnets = new TreeMap<>();
        TreeSet<String> routeTablesInScope = new TreeSet<>();
        all.values().stream().filter(SubnetClassification::inScope).forEach(s -> {
            endpointSubnets.putIfAbsent(s.availabilityZone(), s.subnetId());
            if (s.routeTableId() != null) {
                routeTablesInScope.add(s.routeTableId());
            }
        });
        withoutPublicIpv4.forEach(i -> endpointSubnets.putIfAbsent(all.get(i.subnetId()).availabilityZone(), i.subnetId()));

        Map<String, Subnet> byId = subnets.stream().collect(Collectors.toMap(Subnet::subnetId, Function.identity(), (a, b) -> a));
        List<Finding> findings = new ArrayList<>();
        targets.stream().filter(s -> s.status() == SubnetStatus.OUT_OF_SCOPE && Reachability.ipv6Only(byId.get(s.subnetId())))
                .forEach(s -> findings.add(Reachability.ipv6OnlySubnet(s.subnetId())));
        withoutPublicIpv4.forEach(i -> findings.add(withoutPublicIpv4(i, all.get(i.subnetId()))));

        Map<String, String> zones = subnets.stream().collect(Collectors.toMap(Subnet::subnetId, Subnet::availabilityZone));
        boolean anyInScope = targets.stream().anyMatch(SubnetClassification::inScope) || !withoutPublicIpv4.isEmpty();
        return new VpcClassification(vpc.vpcId(), cidrBlocks(vpc), anyInScope, targets, withoutPublicIpv4, endpointSubnets,
                List.copyOf(routeTablesInScope), zones, findings);
    }

    /** The public target subnets, where instances without a public IPv4 address are to be looked for. */
    public static List<String> publicTargets(VpcClassification classification) {
        return classification.subnets().stream()
                .filter(s -> s.route() == Route.PUBLIC && s.status() == SubnetStatus.OUT_OF_SCOPE)
                .map(SubnetClassification::subnetId).toList();
    }

    private SubnetClassification classify(Subnet subnet, Collection<RouteTable> tables, Optional<RouteTable> main,
                                          boolean vpcOptedOut) {
        Optional<RouteTable> explicit = tables.stream()
                .filter(table -> table.associations().stream().map(RouteTableAssociation::subnetId)
                        .anyMatch(subnet.subnetId()::equals))
                .findFirst();
        Optional<RouteTable> table = explicit.or(() -> main);
        Reachability.Verdict verdict = Reachability.of(subnet, table.orElse(null));

        SubnetStatus status;
        String reason;
        if (vpcOptedOut || optedOut(subnet.tags())) {
            status = SubnetStatus.OPTED_OUT;
            reason = "tag " + settings.optOutTagKey() + "=true on the " + (vpcOptedOut ? "VPC" : "subnet");
        } else if (Reachability.ipv6Only(subnet)) {
            status = SubnetStatus.OUT_OF_SCOPE;
            reason = verdict.reason() + "; not remediated: the endpoints would have to be IPv6";
        } else if (verdict.route() == Route.ISOLATED
                || (verdict.route() == Route.EGRESS && settings.scope() == Settings.Scope.ISOLATED_AND_EGRESS)) {
            status = SubnetStatus.IN_SCOPE;
            reason = verdict.reason();
        } else {
            status = SubnetStatus.OUT_OF_SCOPE;
            reason = verdict.reason() + (verdict.route() == Route.EGRESS ? " (scope: isolated)" : "");
        }
        Map<String, String> ownTags = subnet.tags().stream().filter(t -> t.key().startsWith(Settings.TAG_PREFIX))
                .collect(Collectors.toMap(Tag::key, Tag::value, (a, b) -> a, TreeMap::new));
        return new SubnetClassification(subnet.subnetId(), subnet.availabilityZone(), subnet.cidrBlock(),
                table.map(RouteTable::routeTableId).orElse(null), explicit.isPresent(), verdict.route(), verdict.target(),
                status, reason, ownTags);
    }

    private static Finding withoutPublicIpv4(InstanceTarget instance, SubnetClassification subnet) {
        return new Finding("NO_PUBLIC_IPV4", Severity.INFO, instance.instanceId(),
                "The instance has no public IPv4 address, so the internet gateway route of its subnet " + subnet.subnetId()
                        + " carries nothing for it: it is served as an instance of an isolated subnet, by the VPC's endpoints in "
                        + subnet.availabilityZone(),
                "Nothing to do; to use the internet gateway instead, give the instance a public IPv4 address (an Elastic IP)");
    }

    private boolean optedOut(List<Tag> tags) {
        return tags.stream().anyMatch(t -> settings.optsOut(t.key(), t.value()));
    }

    /** Every associated IPv4 and IPv6 block: the managed group admits 443 from each of them. */
    static List<String> cidrBlocks(Vpc vpc) {
        List<String> blocks = new ArrayList<>();
        vpc.cidrBlockAssociationSet().stream()
                .filter(a -> a.cidrBlockState() == null || "associated".equals(a.cidrBlockState().stateAsString()))
                .forEach(a -> blocks.add(a.cidrBlock()));
        if (blocks.isEmpty() && vpc.cidrBlock() != null) {
            blocks.add(vpc.cidrBlock());
        }
        vpc.ipv6CidrBlockAssociationSet().stream()
                .filter(a -> a.ipv6CidrBlockState() == null || "associated".equals(a.ipv6CidrBlockState().stateAsString()))
                .forEach(a -> blocks.add(a.ipv6CidrBlock()));
        return blocks;
    }
}
