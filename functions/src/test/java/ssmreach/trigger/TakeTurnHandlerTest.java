package ssmreach.trigger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionRequest;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionListItem;
import software.amazon.awssdk.services.sfn.model.ExecutionStatus;
import software.amazon.awssdk.services.sfn.model.ListExecutionsRequest;
import software.amazon.awssdk.services.sfn.model.ListExecutionsResponse;
import ssmreach.SdkMocks;
import ssmreach.contract.Turn;
import ssmreach.contract.TurnRequest;
import ssmreach.core.InvalidInputException;

class TakeTurnHandlerTest {
    private static final String MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:ssm-reach-workflow";
    private static final String PREFIX = "arn:aws:states:us-east-1:123456789012:execution:ssm-reach-workflow:";
    private static final String BATCH_INPUT = "[{\"messageId\": \"1\", \"body\": \"{}\"}]";

    private final SfnClient sfn = SdkMocks.sfn();
    private final TakeTurnHandler handler = new TakeTurnHandler(sfn, 20);
    private final Map<String, String> inputs = new java.util.HashMap<>();

    private ExecutionListItem running(String name, int second, String input) {
        inputs.put(PREFIX + name, input);
        return ExecutionListItem.builder().executionArn(PREFIX + name).name(name).stateMachineArn(MACHINE)
                .status(ExecutionStatus.RUNNING).startDate(Instant.parse("2026-12-01T10:00:00Z").plusSeconds(second)).build();
    }

    /** The running executions, newest first as Step Functions lists them, on two pages. */
    private void listed(ExecutionListItem... executions) {
        ExecutionListItem[] newestFirst = Arrays.stream(executions)
                .sorted((a, b) -> b.startDate().compareTo(a.startDate())).toArray(ExecutionListItem[]::new);
        int half = newestFirst.length / 2;
        when(sfn.listExecutions(any(ListExecutionsRequest.class))).thenAnswer(i -> {
            ListExecutionsRequest r = i.getArgument(0);
            return r.nextToken() == null
                    ? ListExecutionsResponse.builder().executions(Arrays.copyOfRange(newestFirst, 0, half)).nextToken("page-2").build()
                    : ListExecutionsResponse.builder().executions(Arrays.copyOfRange(newestFirst, half, newestFirst.length)).build();
        });
        when(sfn.describeExecution(any(DescribeExecutionRequest.class))).thenAnswer(i -> {
            DescribeExecutionRequest r = i.getArgument(0);
            return DescribeExecutionResponse.builder().executionArn(r.executionArn()).input(inputs.get(r.executionArn())).build();
        });
    }

    private Turn ask(String name) {
        return handler.handle(new TurnRequest(PREFIX + name, MACHINE));
    }

    @Test
    void theFirstBatchGoesOnAndTheNextWaitsForIt() {
        listed(running("batch-1", 0, BATCH_INPUT), running("batch-2", 5, BATCH_INPUT), running("batch-3", 9, BATCH_INPUT));

        assertEquals(new Turn(true, null, 0), ask("batch-1"));
        assertEquals(new Turn(false, PREFIX + "batch-1", 20), ask("batch-2"));
        assertEquals(new Turn(false, PREFIX + "batch-1", 20), ask("batch-3"), "it waits for the first, whichever is ahead");
        ArgumentCaptor<ListExecutionsRequest> request = ArgumentCaptor.forClass(ListExecutionsRequest.class);
        verify(sfn, times(6)).listExecutions(request.capture());
        assertEquals(MACHINE, request.getValue().stateMachineArn());
        assertEquals(ExecutionStatus.RUNNING, request.getValue().statusFilter());
    }

    @Test
    void vpcExecutionsAndExecutionsStartedByHandDoNotHoldABatch() {
        listed(running("vpc-0a1b2c3d4e5f60718-6f1c", 0, "{\"target\": {}}"), running("by-hand", 1, "{\"vpcId\": \"vpc-0a1b2c3d4e5f60718\"}"),
                running("batch-2", 5, BATCH_INPUT));

        assertEquals(new Turn(true, null, 0), ask("batch-2"));
        verify(sfn, never()).describeExecution(DescribeExecutionRequest.builder().executionArn(PREFIX + "vpc-0a1b2c3d4e5f60718-6f1c").build());
    }

    @Test
    void startedTheSameMomentTheLowerArnGoesFirst() {
        listed(running("b", 3, BATCH_INPUT), running("a", 3, BATCH_INPUT));

        assertEquals(new Turn(true, null, 0), ask("a"));
        assertEquals(new Turn(false, PREFIX + "a", 20), ask("b"));
    }

    @Test
    void notListedYetMeansNotYet() {
        listed(running("batch-1", 0, BATCH_INPUT));

        assertEquals(new Turn(false, null, 20), ask("batch-2"));
    }

    @Test
    void onlyTheBatchesAheadAreRead() {
        listed(running("batch-1", 0, BATCH_INPUT), running("batch-2", 5, BATCH_INPUT), running("batch-3", 9, BATCH_INPUT));

        ask("batch-3");

        verify(sfn).describeExecution(any(DescribeExecutionRequest.class));
    }

    @Test
    void anotherStateMachinesExecutionIsRefusedBeforeAnyCall() {
        assertThrows(InvalidInputException.class,
                () -> handler.handle(new TurnRequest("arn:aws:states:us-east-1:123456789012:execution:other:x", MACHINE)));
        assertThrows(InvalidInputException.class, () -> handler.handle(new TurnRequest(null, MACHINE)));
        verifyNoInteractions(sfn);
    }
}
