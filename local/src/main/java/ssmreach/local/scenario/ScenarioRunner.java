package ssmreach.local.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import ssmreach.core.Settings;
import ssmreach.local.CallLog;
import ssmreach.local.Execution;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.iam.Authorizer;

/**
 * Runs a scenario on the local AWS: seeds its world into the (empty) emulator, runs its triggers
 * through the real workflow definition and handlers with the scenario's stack settings, performs
 * its actions in between, then checks its expectations. Used by {@code local/run} and by the
 * workflow tests alike.
 */
public final class ScenarioRunner {
    /** What happens, as it happens; every method may be called from several threads for concurrent triggers. */
    public interface Listener {
        default void seeded(ScenarioWorld world) {}

        default void action(Scenario.Action action) {}

        default void started(Scenario.Trigger trigger, String input) {}

        default void event(Scenario.Trigger trigger, Execution.Event event) {}

        /** A mutating AWS call of the functions; {@code trigger} is null while several executions run at once. */
        default void mutation(Scenario.Trigger trigger, CallLog.Call call) {}

        /** A call the local AWS refused as AWS would (IAM); {@code trigger} is null while several executions run at once. */
        default void denied(Scenario.Trigger trigger, Authorizer.Denial denial) {}

        default void finished(TriggerRun run) {}
    }

    /** One call listener per call log (CallLog has no way to remove one), pointed at the scenario running now. */
    private static final Map<CallLog, AtomicReference<Consumer<CallLog.Call>>> CALL_LISTENERS = new WeakHashMap<>();

    private ScenarioRunner() {}

    /** The stack settings a scenario runs with; fails clearly on a bad value. */
    public static Settings settings(Scenario scenario) {
        try {
            return LocalFunctions.settings(scenario.settings());
        } catch (RuntimeException e) {
            throw new ScenarioException(scenario.name() + ".json: settings: " + e.getMessage(), e);
        }
    }

    /** Runs {@code scenario} on {@code aws}, which must be empty (fresh or reset), with the stack of template.yaml. */
    public static ScenarioReport run(LocalAws aws, Scenario scenario, Listener listener) {
        return run(aws, scenario, listener, LocalWorkflow.template());
    }

    /** As {@link #run(LocalAws, Scenario, Listener)}, the stack deployed from another template. */
    public static ScenarioReport run(LocalAws aws, Scenario scenario, Listener listener, Path template) {
        Settings settings = settings(scenario);
        ScenarioWorld world = ScenarioWorld.seed(aws, scenario.world(), settings);
        listener.seeded(world);
        AtomicReference<Consumer<CallLog.Call>> calls = callListener(aws.calls());
        AtomicReference<Scenario.Trigger> running = new AtomicReference<>();
        List<Authorizer.Denial> denials = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<TriggerRun> runs = new ArrayList<>();
        try (AutoCloseable watching = aws.authorizer().onDenial(denial -> {
                    denials.add(denial);
                    listener.denied(running.get(), denial);
                });
             LocalWorkflow workflow = new LocalWorkflow(LocalFunctions.create(settings, aws.deploy(settings, template)), aws.executions())) {
            List<Scenario.Step> steps = scenario.steps();
            for (int i = 0; i < steps.size(); ) {
                if (steps.get(i) instanceof Scenario.Action action) {
                    listener.action(action);
                    world.perform(action, workflow.lambda());
                    i++;
                    continue;
                }
                List<Scenario.Trigger> group = new ArrayList<>();
                group.add((Scenario.Trigger) steps.get(i++));
                while (group.getFirst().concurrent() && i < steps.size()
                        && steps.get(i) instanceof Scenario.Trigger next && next.concurrent()) {
                    group.add(next);
                    i++;
                }
                running.set(group.size() == 1 ? group.getFirst() : null);
                runs.addAll(runGroup(aws, workflow, world, group, listener, calls));
            }
        } catch (Exception e) {
            throw e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
        } finally {
            calls.set(call -> {});
        }
        List<String> worldFailures = new ArrayList<>(world.deferredFailures());
        worldFailures.addAll(Expectations.check(scenario.expect(), world));
        return new ScenarioReport(scenario, world, runs, worldFailures, denials);
    }

    private static List<TriggerRun> runGroup(LocalAws aws, LocalWorkflow workflow, ScenarioWorld world, List<Scenario.Trigger> group,
                                             Listener listener, AtomicReference<Consumer<CallLog.Call>> calls) {
        Scenario.Trigger only = group.size() == 1 ? group.getFirst() : null;
        calls.set(call -> {
            if (call.mutating()) {
                listener.mutation(only, call);
            }
        });
        int before = aws.calls().calls().size();
        List<String> inputs = group.stream().map(world::input).toList();
        List<Execution> executions = new ArrayList<>();
        if (only != null) {
            listener.started(only, inputs.getFirst());
            executions.add(workflow.execute(inputs.getFirst(), event -> listener.event(only, event)));
        } else {
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<Execution>> futures = new ArrayList<>();
                for (int k = 0; k < group.size(); k++) {
                    Scenario.Trigger trigger = group.get(k);
                    String input = inputs.get(k);
                    listener.started(trigger, input);
                    futures.add(threads.submit(() -> workflow.execute(input, event -> listener.event(trigger, event))));
                }
                for (Future<Execution> future : futures) {
                    executions.add(future.get());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while concurrent executions ran", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
            }
        }
        List<CallLog.Call> all = aws.calls().calls();
        List<CallLog.Call> mutations = all.subList(Math.min(before, all.size()), all.size()).stream()
                .filter(CallLog.Call::mutating).toList();
        calls.set(call -> {});
        List<TriggerRun> runs = new ArrayList<>();
        for (int k = 0; k < group.size(); k++) {
            Scenario.Trigger trigger = group.get(k);
            Execution execution = executions.get(k);
            JsonNode result = resultDocument(execution);
            TriggerRun run = new TriggerRun(trigger, inputs.get(k), execution, result, mutations,
                    Expectations.check(trigger.expect(), execution, result, mutations, world));
            listener.finished(run);
            runs.add(run);
        }
        return runs;
    }

    /** The execution's output; for a failed one, the result ReportFailure published (it keeps it under $.result). */
    public static JsonNode resultDocument(Execution execution) {
        if (execution.succeeded()) {
            return execution.output();
        }
        JsonNode failure = execution.stateOutput("ReportFailure");
        return failure == null || !failure.hasNonNull("result") ? null : failure.get("result");
    }

    private static AtomicReference<Consumer<CallLog.Call>> callListener(CallLog log) {
        synchronized (CALL_LISTENERS) {
            return CALL_LISTENERS.computeIfAbsent(log, key -> {
                AtomicReference<Consumer<CallLog.Call>> current = new AtomicReference<>(call -> {});
                key.onCall(call -> current.get().accept(call));
                return current;
            });
        }
    }
}
