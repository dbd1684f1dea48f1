package ssmreach.reliability;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import ssmreach.local.Execution;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.World;

/** A VPC with many isolated subnets over several zones, as one Terraform apply creates them, and one execution each. */
final class Concurrent {
    static final List<String> ZONES = List.of("us-east-1a", "us-east-1b", "us-east-1c");

    /** Whether the full figures are measured (-Dssmreach.reliability.full=true), or the quicker CI ones. */
    static final boolean FULL = Boolean.getBoolean("ssmreach.reliability.full");

    final String vpc;
    /** subnet id → zone, in creation order. */
    final Map<String, String> subnets = new java.util.LinkedHashMap<>();

    Concurrent(World world, int count) {
        vpc = world.vpc("10.0.0.0/16");
        world.ec2().associateVpcCidrBlock(r -> r.vpcId(vpc).cidrBlock("10.1.0.0/16"));
        for (int i = 0; i < count; i++) {
            String zone = ZONES.get(i % ZONES.size());
            subnets.put(world.subnet(vpc, "10.0." + (10 + i) + ".0/24", zone), zone);
        }
    }

    Set<String> zones() {
        return new TreeSet<>(subnets.values());
    }

    /** One CreateSubnet event per subnet, all started at once, each execution in its own thread. */
    List<Execution> runAll(LocalWorkflow workflow) {
        List<String> inputs = new ArrayList<>();
        subnets.forEach((subnet, zone) -> inputs.add(Audit.createSubnetEvent(subnet, vpc, zone)));
        return runConcurrently(workflow, inputs);
    }

    static List<Execution> runConcurrently(LocalWorkflow workflow, List<String> inputs) {
        ExecutorService threads = Executors.newFixedThreadPool(inputs.size());
        try {
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            List<Future<Execution>> running = new ArrayList<>();
            for (String input : inputs) {
                running.add(threads.submit(() -> {
                    start.await();
                    return workflow.execute(input);
                }));
            }
            start.countDown();
            List<Execution> executions = new ArrayList<>();
            for (Future<Execution> execution : running) {
                executions.add(execution.get());
            }
            return executions;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("an execution could not run", e.getCause());
        } finally {
            threads.shutdownNow();
        }
    }

    /** Outcomes counted, e.g. {remediated=3, compliant=7}. */
    static Map<String, Integer> outcomes(List<Execution> executions) {
        Map<String, Integer> outcomes = new TreeMap<>();
        executions.forEach(e -> outcomes.merge(e.succeeded() ? e.output().path("outcome").asText() : e.status().name(), 1, Integer::sum));
        return outcomes;
    }
}
