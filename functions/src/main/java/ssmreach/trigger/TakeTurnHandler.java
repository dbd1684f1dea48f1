package ssmreach.trigger;

import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionListItem;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import ssmreach.contract.Turn;
import ssmreach.contract.TurnRequest;
import ssmreach.core.Clients;
import ssmreach.core.InvalidInputException;
import ssmreach.core.JsonHandler;
import ssmreach.core.Settings;
import ssmreach.core.Twins;

/**
 * One batch at a time: a batch execution goes on once no batch started before it is still
 * running. EC2 throttles per account, so batches side by side would each use the stack's share of
 * every API; one after another, the share holds for all of them. Among the running executions of
 * the state machine, the batches are those whose input is a list (what the pipe starts); the
 * executions a batch starts for its VPCs are named after the VPC ({@value #VPC_EXECUTION_PREFIX}...)
 * and are not read, nor are executions started by hand. Started at the same second, the lower
 * execution ARN goes first.
 */
public class TakeTurnHandler extends JsonHandler<TurnRequest, Turn> {
    /** How the executions a batch starts for its VPCs are named: after the VPC. */
    public static final String VPC_EXECUTION_PREFIX = "vpc-";

    private static final Comparator<ExecutionListItem> FIRST_STARTED =
            Comparator.comparing(ExecutionListItem::startDate).thenComparing(ExecutionListItem::executionArn);

    /** Step Functions (named by its IAM prefix, as the other clients are). */
    private final SfnClient states;
    private final int waitSeconds;

    public TakeTurnHandler() {
        this(Settings.fromEnvironment());
    }

    private TakeTurnHandler(Settings settings) {
        this(Clients.sfn(settings), settings.turnWaitSeconds());
        primeBeforeSnapshot(settings);
    }

    public TakeTurnHandler(SfnClient states, int waitSeconds) {
        super(TurnRequest.class);
        this.states = states;
        this.waitSeconds = waitSeconds;
    }

    @Override
    protected void prime(Twins twins) throws IOException {
        serveSamples(new TakeTurnHandler(twins.states(), waitSeconds), twins);
    }

    @Override
    public Turn handle(TurnRequest request) {
        if (request.executionArn() == null || request.stateMachineArn() == null
                || !request.executionArn().startsWith(request.stateMachineArn().replace(":stateMachine:", ":execution:") + ":")) {
            throw new InvalidInputException("TakeTurn needs this execution's ARN and its state machine's ARN");
        }
        List<ExecutionListItem> running = states.listExecutionsPaginator(r -> r.stateMachineArn(request.stateMachineArn())
                .statusFilter(ExecutionStatus.RUNNING)).executions().stream().toList();
        Optional<ExecutionListItem> self = running.stream().filter(e -> e.executionArn().equals(request.executionArn())).findFirst();
        if (self.isEmpty()) {
            // Not listed yet (the list is eventually consistent): whoever is ahead is not known yet either.
            return new Turn(false, null, waitSeconds);
        }
        // Oldest first, and only up to the first batch: one read per waiting batch and wait, however long the queue.
        Optional<ExecutionListItem> ahead = running.stream()
                .filter(e -> FIRST_STARTED.compare(e, self.get()) < 0 && !e.name().startsWith(VPC_EXECUTION_PREFIX))
                .sorted(FIRST_STARTED)
                .filter(this::isBatch)
                .findFirst();
        return ahead.map(e -> new Turn(false, e.executionArn(), waitSeconds)).orElse(new Turn(true, null, 0));
    }

    /** A batch's input is the pipe's list of messages. */
    private boolean isBatch(ExecutionListItem execution) {
        String input = states.describeExecution(r -> r.executionArn(execution.executionArn())).input();
        return input != null && input.stripLeading().startsWith("[");
    }
}
