package ssmreach.trigger;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
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
 * one filtered call per 200 of them (the filter's limit). Repeated events (EventBridge delivers at
 * least once) count once.
 */
public class GroupTargetsHandler extends JsonHandler<Target, TargetGroups> {
    /** The most values one EC2 filter takes. */
    private static final int FILTER_VALUES = 200;

    private final Ec2Client ec2;

    public GroupTargetsHandler() {
        this(Settings.fromEnvironment());
    }

    private GroupTargetsHandler(Settings settings) {
        this(Clients.ec2(settings));
        primeBeforeSnapshot(settings);
    }

    public GroupTargetsHandler(Ec2Client ec2) {
        super(Target.class);
        this.ec2 = ec2;
    }

    @Override
    protected void prime(Twins twins) throws IOException {
        serveSamples(new GroupTargetsHandler(twins.ec2()), twins);
    }

    @Override
    public TargetGroups handle(Target batch) {
        if (!Target.BATCH.equals(batch.source()) || batch.batch().isEmpty()) {
            throw new InvalidInputException("GroupTargets takes a batch target (source \"batch\" with its events)");
        }
        Map<String, Set<String>> subnets = new TreeMap<>();
        Map<String, Set<String>> instances = new TreeMap<>();
        Map<String, Set<String>> sources = new TreeMap<>();
        Set<String> wanted = new LinkedHashSet<>();
        for (Target target : batch.batch()) {
            if (target.vpcId() != null && !target.subnetIds().isEmpty()) {
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
            groups.add(new Target(source, vpc.getKey(), List.copyOf(subnets.getOrDefault(vpc.getKey(), Set.of())),
                    List.copyOf(instances.getOrDefault(vpc.getKey(), Set.of())), batch.dryRun(), false, null));
        }
        return new TargetGroups(groups, ids.stream().filter(id -> !found.contains(id)).toList());
    }

    private List<Instance> describe(List<String> instanceIds) {
        return ec2.describeInstancesPaginator(r -> r.filters(Filter.builder().name("instance-id").values(instanceIds).build()))
                .reservations().stream().flatMap(r -> r.instances().stream()).toList();
    }
}
