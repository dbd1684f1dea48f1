package ssmreach.local;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Records every AWS call the functions make (service, operation, whether it was a DryRun), so tests
 * can count mutating calls and the local runner can print them on its timeline.
 */
public final class CallLog implements ExecutionInterceptor {
    /** One AWS call as sent. */
    public record Call(String service, String operation, boolean dryRun, String request) {
        /** True for a call that changes something: neither a read nor a DryRun probe nor a notification. */
        public boolean mutating() {
            return !dryRun && !READ_PREFIXES.stream().anyMatch(operation::startsWith) && !NOTIFICATIONS.contains(operation);
        }
    }

    private static final List<String> READ_PREFIXES = List.of("Describe", "Get", "List", "Simulate");
    private static final Set<String> NOTIFICATIONS = Set.of("PutEvents", "Publish");

    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<java.util.function.Consumer<Call>> listeners = new CopyOnWriteArrayList<>();

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        SdkRequest request = context.request();
        boolean dryRun = request.getValueForField("DryRun", Boolean.class).orElse(false);
        Call call = new Call(attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME),
                attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME), dryRun, request.toString());
        calls.add(call);
        listeners.forEach(listener -> listener.accept(call));
    }

    public void onCall(java.util.function.Consumer<Call> listener) {
        listeners.add(listener);
    }

    public List<Call> calls() {
        return List.copyOf(calls);
    }

    public List<Call> mutatingCalls() {
        return calls.stream().filter(Call::mutating).toList();
    }

    public void clear() {
        calls.clear();
    }
}
