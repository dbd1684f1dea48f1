package ssmreach.trigger;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.RouteTable;
import software.amazon.awssdk.services.ec2.model.RouteTableAssociation;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.Vpc;
import ssmreach.contract.Target;
import ssmreach.contract.TargetGroups;
import ssmreach.core.Clients;
import ssmreach.core.InvalidInputException;
import ssmreach.core.JsonHandler;
import ssmreach.core.Settings;
import ssmreach.core.Twins;

/**
 * Groups a batch of triggers by VPC, so that each VPC is evaluated once however many of its
 * subnets and instances the batch holds: a CreateSubnet event names its VPC; instances are read in
 * one filtered call per 200 of them (the filter's limit). A route change names a route table: the
 * tables are read in one filtered call per 200, each resolved to the subnets whose route may have
 * changed (its explicitly associated subnets; for a VPC's main table also the subnets without an
 * explicit association, read with one more call each for the VPC's tables and subnets). A table or
 * association that no longer exists is reported, not an error. Repeated events (EventBridge
 * delivers at least once) count once; the calls do not grow with the number of events.
 */
public class GroupTargetsHandler extends JsonHandler<Target, TargetGroups> {
    /** The most values one EC2 filter takes. */
    private static final int FILTER_VALUES = 200;

    /** The most VPCs one DescribeVpcs page returns. */
    private static final int VPC_PAGE = 1000;

    private final Settings settings;
    private final Ec2Client ec2;

    public GroupTargetsHandler() {
        this(Settings.fromEnvironment());
    }

    private GroupTargetsHandler(Settings settings) {
        this(settings, Clients.ec2(settings));
        primeBeforeSnapshot(settings);
    }

    public GroupTargetsHandler(Settings settings, Ec2Client ec2) {
        super(Target.class);
        this.settings = settings;
        this.ec2 = ec2;
    }

    @Override
    protected void prime(Twins twins) throws IOException {
        serveSamples(new GroupTargetsHandler(settings, twins.ec2()), twins);
    }

    @Override
    public TargetGroups handle(Target batch) {
        if (Target.SWEEP.equals(batch.source()) && batch.vpcId() == null) {
            return sweep(batch);
        }
        if (!Target.BATCH.equals(batch.source()) || batch.batch().isEmpty()) {
            throw new InvalidInputException("GroupTargets takes a batch target (source \"batch\" with its events) or a sweep");
        }
        Map<String, Set<String>> subnets = new TreeMap<>();
        Map<String, Set<String>> instances = new TreeMap<>();
        Map<String, Set<String>> sources = new TreeMap<>();
        Set<String> wanted = new LinkedHashSet<>();
        List<String> ignored = new ArrayList<>();
        List<Target> routeChanges = batch.batch().stream().filter(t -> t.routeTableId() != null).toList();
        resolveRoutes(routeChanges, subnets, sources, ignored);
        for (Target target : batch.batch()) {
            if (target.routeTableId() == null && target.vpcId() != null && !target.subnetIds().isEmpty()) {
                subnets.computeIfAbsent(target.vpcId(), v -> new LinkedHashSet<>()).addAll(target.subnetIds());
                sources.computeIfAbsent(target.vpcId(), v -> new TreeSet<>()).add(target.source());
            }
            wanted.addAll(target.instanceIds());
        }
        Set<String> found = new LinkedHashSet<>();
        List<String> ids = List.copyOf(wanted);
        for (int from = 0; from < ids.size(); from += FILTER_VALUES) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + FILTER_VALUES));
            for (Instance instance : describe(chunk)) {
                if (instance.vpcId() != null) {
                    instances.computeIfAbsent(instance.vpcId(), v -> new LinkedHashSet<>()).add(instance.instanceId());
                    sources.computeIfAbsent(instance.vpcId(), v -> new TreeSet<>()).add("InstanceRunning");
                    found.add(instance.instanceId());
                }
            }
        }
        List<Target> groups = new ArrayList<>();
        for (Map.Entry<String, Set<String>> vpc : sources.entrySet()) {
            String source = vpc.getValue().size() == 1 ? vpc.getValue().iterator().next() : "events";
            List<String> vpcSubnets = List.copyOf(subnets.getOrDefault(vpc.getKey(), Set.of()));
            List<String> vpcInstances = List.copyOf(instances.getOrDefault(vpc.getKey(), Set.of()));
            // A group names at most a batch's worth of subnets (a main table may have more): the rest in further groups.
            for (int from = 0; from == 0 || from < vpcSubnets.size(); from += TriggerParser.MAX_BATCH) {
                groups.add(new Target(source, vpc.getKey(), vpcSubnets.subList(from, Math.min(vpcSubnets.size(), from + TriggerParser.MAX_BATCH)),
                        from == 0 ? vpcInstances : List.of(), batch.dryRun(), false, null));
            }
        }
        return new TargetGroups(groups, ids.stream().filter(id -> !found.contains(id)).toList(), ignored.stream().distinct().toList());
    }

    /**
     * A page of the Region's VPCs in id order, after the last one the page before took on: one
     * DescribeVpcs per 1,000 VPCs, however many subnets they have. A VPC opted out by its tag is
     * left out, and so is one another account shares with this one (its owner's stack keeps it
     * reachable; this account may not change it). The VPCs then run side by side, as many as the
     * stack's sweep concurrency, which is checked against EC2's budget first.
     */
    private TargetGroups sweep(Target sweep) {
        settings.requireSweepWithinBudget();
        List<Vpc> vpcs = ec2.describeVpcsPaginator(r -> r.maxResults(VPC_PAGE)).vpcs().stream()
                .filter(v -> sweep.after() == null || v.vpcId().compareTo(sweep.after()) > 0)
                .sorted(java.util.Comparator.comparing(Vpc::vpcId)).toList();
        List<Target> groups = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        String next = null;
        for (Vpc vpc : vpcs) {
            if (groups.size() == settings.sweepPageVpcs()) {
                next = groups.getLast().vpcId();
                break;
            }
            if (vpc.tags().stream().anyMatch(t -> settings.optsOut(t.key(), t.value()))) {
                skipped.add(vpc.vpcId() + ": opted out (tag " + settings.optOutTagKey() + "=true)");
            } else if (!settings.accountId().isEmpty() && !settings.accountId().equals(vpc.ownerId())) {
                skipped.add(vpc.vpcId() + ": shared by account " + vpc.ownerId() + ", which keeps it reachable");
            } else {
                groups.add(Target.sweptVpc(vpc.vpcId(), sweep.dryRun()));
            }
        }
        return new TargetGroups(groups, List.of(), skipped, settings.sweepConcurrency(), next);
    }

    /** The subnets of each route change, by VPC; what cannot be resolved goes to {@code ignored} with the reason. */
    private void resolveRoutes(List<Target> changes, Map<String, Set<String>> subnets, Map<String, Set<String>> sources,
                               List<String> ignored) {
        if (changes.isEmpty()) {
            return;
        }
        Map<String, RouteTable> tables = new TreeMap<>();
        List<String> tableIds = changes.stream().map(Target::routeTableId).distinct().toList();
        for (RouteTable table : describeRouteTables("route-table-id", tableIds)) {
            tables.put(table.routeTableId(), table);
        }
        // A main table's subnets are those of its VPC without an explicit association: read once for all such VPCs.
        Set<String> mainVpcs = new TreeSet<>();
        for (Target change : changes) {
            RouteTable table = tables.get(change.routeTableId());
            if (table != null && (change.associationId() == null ? isMain(table)
                    : association(table, change.associationId()).map(a -> Boolean.TRUE.equals(a.main())).orElse(false))) {
                mainVpcs.add(table.vpcId());
            }
        }
        Map<String, Set<String>> implicit = implicitSubnets(mainVpcs);
        for (Target change : changes) {
            RouteTable table = tables.get(change.routeTableId());
            if (table == null) {
                ignored.add("route table " + change.routeTableId() + " no longer exists");
                continue;
            }
            Set<String> affected = new TreeSet<>();
            if (change.associationId() != null) {
                Optional<RouteTableAssociation> association = association(table, change.associationId());
                if (association.isEmpty()) {
                    ignored.add("association " + change.associationId() + " of " + table.routeTableId() + " no longer exists");
                    continue;
                }
                if (Boolean.TRUE.equals(association.get().main())) {
                    affected.addAll(implicit.getOrDefault(table.vpcId(), Set.of()));
                } else if (association.get().subnetId() != null) {
                    affected.add(association.get().subnetId());
                }
            } else if (!change.subnetIds().isEmpty()) {
                affected.addAll(change.subnetIds());
            } else {
                affected.addAll(explicitSubnets(table));
                if (isMain(table)) {
                    affected.addAll(implicit.getOrDefault(table.vpcId(), Set.of()));
                }
            }
            if (affected.isEmpty()) {
                ignored.add("no subnet uses route table " + table.routeTableId());
                continue;
            }
            subnets.computeIfAbsent(table.vpcId(), v -> new LinkedHashSet<>()).addAll(affected);
            sources.computeIfAbsent(table.vpcId(), v -> new TreeSet<>()).add(Target.ROUTE_CHANGE);
        }
    }

    /** Per VPC, its subnets that no route table names explicitly (they use the main table). */
    private Map<String, Set<String>> implicitSubnets(Set<String> vpcs) {
        Map<String, Set<String>> implicit = new TreeMap<>();
        if (vpcs.isEmpty()) {
            return implicit;
        }
        List<String> ids = List.copyOf(vpcs);
        Set<String> explicit = new TreeSet<>();
        describeRouteTables("vpc-id", ids).forEach(table -> explicit.addAll(explicitSubnets(table)));
        for (int from = 0; from < ids.size(); from += FILTER_VALUES) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + FILTER_VALUES));
            for (Subnet subnet : ec2.describeSubnetsPaginator(r -> r.filters(Filter.builder().name("vpc-id").values(chunk).build())).subnets()) {
                if (!explicit.contains(subnet.subnetId())) {
                    implicit.computeIfAbsent(subnet.vpcId(), v -> new TreeSet<>()).add(subnet.subnetId());
                }
            }
        }
        return implicit;
    }

    private List<RouteTable> describeRouteTables(String filter, List<String> values) {
        List<RouteTable> tables = new ArrayList<>();
        for (int from = 0; from < values.size(); from += FILTER_VALUES) {
            List<String> chunk = values.subList(from, Math.min(values.size(), from + FILTER_VALUES));
            ec2.describeRouteTablesPaginator(r -> r.filters(Filter.builder().name(filter).values(chunk).build())).routeTables()
                    .forEach(tables::add);
        }
        return tables;
    }

    /** The subnets associated with the table explicitly (not the main table's implicit ones). */
    private static List<String> explicitSubnets(RouteTable table) {
        return table.associations().stream().map(RouteTableAssociation::subnetId).filter(Objects::nonNull).toList();
    }

    private static boolean isMain(RouteTable table) {
        return table.associations().stream().anyMatch(a -> Boolean.TRUE.equals(a.main()));
    }

    private static Optional<RouteTableAssociation> association(RouteTable table, String associationId) {
        return table.associations().stream().filter(a -> associationId.equals(a.routeTableAssociationId())).findFirst();
    }

    private List<Instance> describe(List<String> instanceIds) {
        return ec2.describeInstancesPaginator(r -> r.filters(Filter.builder().name("instance-id").values(instanceIds).build()))
                .reservations().stream().flatMap(r -> r.instances().stream()).toList();
    }
}
