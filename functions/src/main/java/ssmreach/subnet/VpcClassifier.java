package ssmreach.subnet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.model.RouteTable;
import software.amazon.awssdk.services.ec2.model.RouteTableAssociation;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.Vpc;
import ssmreach.contract.Route;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.VpcClassification;
import ssmreach.core.Settings;

/**
 * Classifies the subnets of one VPC from what EC2 describes of it; no AWS call here. Every subnet
 * of the VPC is classified (two Describe calls cover them all), because the endpoints must serve
 * every zone that has an in-scope subnet, not only the target's.
 */
public final class VpcClassifier {
    private final Settings settings;

    public VpcClassifier(Settings settings) {
        this.settings = settings;
    }

    public VpcClassification classify(Vpc vpc, Collection<Subnet> subnets, Collection<RouteTable> routeTables,
                                      Collection<String> targetIds) {
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

        // The lowest subnet id per zone, so that concurrent executions choose the same subnets
        // (and so send the same idempotency token).
        Map<String, String> endpointSubnets = new TreeMap<>();
        TreeSet<String> routeTablesInScope = new TreeSet<>();
        all.values().stream().filter(SubnetClassification::inScope).forEach(s -> {
            endpointSubnets.putIfAbsent(s.availabilityZone(), s.subnetId());
            if (s.routeTableId() != null) {
                routeTablesInScope.add(s.routeTableId());
            }
        });
        Map<String, String> zones = subnets.stream().collect(Collectors.toMap(Subnet::subnetId, Subnet::availabilityZone));
        return new VpcClassification(vpc.vpcId(), cidrBlocks(vpc), targets.stream().anyMatch(SubnetClassification::inScope),
                targets, endpointSubnets, List.copyOf(routeTablesInScope), zones);
    }

    private SubnetClassification classify(Subnet subnet, Collection<RouteTable> tables, Optional<RouteTable> main,
                                          boolean vpcOptedOut) {
        Optional<RouteTable> explicit = tables.stream()
                .filter(table -> table.associations().stream().map(RouteTableAssociation::subnetId)
                        .anyMatch(subnet.subnetId()::equals))
                .findFirst();
        Optional<RouteTable> table = explicit.or(() -> main);
        RouteClassifier.Verdict verdict = table.map(RouteClassifier::classify)
                .orElse(new RouteClassifier.Verdict(Route.ISOLATED, null));

        SubnetStatus status;
        String reason;
        if (vpcOptedOut || optedOut(subnet.tags())) {
            status = SubnetStatus.OPTED_OUT;
            reason = "tag " + settings.optOutTagKey() + "=true on the " + (vpcOptedOut ? "VPC" : "subnet");
        } else if (verdict.route() == Route.ISOLATED
                || (verdict.route() == Route.EGRESS && settings.scope() == Settings.Scope.ISOLATED_AND_EGRESS)) {
            status = SubnetStatus.IN_SCOPE;
            reason = verdict.route() == Route.ISOLATED ? "no default route" : "default route to " + verdict.target();
        } else {
            status = SubnetStatus.OUT_OF_SCOPE;
            reason = "default route to " + verdict.target() + (verdict.route() == Route.EGRESS ? " (scope: isolated)" : "");
        }
        Map<String, String> ownTags = subnet.tags().stream().filter(t -> t.key().startsWith(Settings.TAG_PREFIX))
                .collect(Collectors.toMap(Tag::key, Tag::value, (a, b) -> a, TreeMap::new));
        return new SubnetClassification(subnet.subnetId(), subnet.availabilityZone(), subnet.cidrBlock(),
                table.map(RouteTable::routeTableId).orElse(null), explicit.isPresent(), verdict.route(), verdict.target(),
                status, reason, ownTags);
    }

    private boolean optedOut(List<Tag> tags) {
        return tags.stream().anyMatch(t -> t.key().equals(settings.optOutTagKey()) && "true".equalsIgnoreCase(t.value()));
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
