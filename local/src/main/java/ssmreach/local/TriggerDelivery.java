package ssmreach.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import ssmreach.local.iam.DeployedStack;

/**
 * How an event reaches the workflow in AWS, run here: the template's EventBridge rules put it in
 * the trigger queue (in the emulator's SQS); the trigger pipe reads the queue in batches of the
 * template's size and hands each batch to the workflow; a message the pipe could not start an
 * execution with goes back to the queue, and after the queue's maxReceiveCount to the dead-letter
 * queue, from where {@link #redrive()} moves it back, as {@code aws sqs start-message-move-task} does.
 *
 * <p>Batch size and receive count come from the template; the visibility timeout and the batching
 * window are shortened here (as the wait intervals are), the pipe is pumped by the caller.
 */
public final class TriggerDelivery {
    /**
     * Starts the workflow with a batch, calls {@code started} once it has started (what
     * StartExecution answering means to the pipe) and returns how the execution ended; throws
     * {@link Refused} when the execution could not be started at all (as StartExecution can be
     * refused or throttled).
     */
    public interface Starter {
        Execution start(String batchJson, Runnable started);
    }

    /** StartExecution refused: the state machine is being updated, deleted, or its quota is reached. */
    public static final class Refused extends RuntimeException {
        public Refused(String message) {
            super(message);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SqsClient sqs;
    private final String queueUrl;
    private final String queueArn;
    private final String deadLetterUrl;
    private final int batchSize;
    private final int maxReceiveCount;

    private TriggerDelivery(SqsClient sqs, String queueUrl, String queueArn, String deadLetterUrl, int batchSize, int maxReceiveCount) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.queueArn = queueArn;
        this.deadLetterUrl = deadLetterUrl;
        this.batchSize = batchSize;
        this.maxReceiveCount = maxReceiveCount;
    }

    /**
     * Creates the two queues as the template declares them (redrive policy included) in the emulator.
     *
     * @param visibilitySeconds the queue's visibility timeout here (the template's is minutes)
     */
    public static TriggerDelivery create(SqsClient sqs, Path template, int visibilitySeconds) {
        JsonNode resources = DeployedStack.processed(template).path("Resources");
        JsonNode pipe = resources.path("TriggerPipe").path("Properties").path("SourceParameters").path("SqsQueueParameters");
        int batchSize = pipe.path("BatchSize").asInt();
        int maxReceiveCount = resources.path("TriggerQueue").path("Properties").path("RedrivePolicy").path("maxReceiveCount").asInt();
        if (batchSize < 1 || maxReceiveCount < 1) {
            throw new IllegalStateException("the template's TriggerPipe BatchSize or TriggerQueue maxReceiveCount is missing");
        }
        String deadLetterUrl = sqs.createQueue(r -> r.queueName("ssm-reach-TriggerDeadLetterQueue")).queueUrl();
        String deadLetterArn = sqs.getQueueAttributes(r -> r.queueUrl(deadLetterUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        String queueUrl = sqs.createQueue(r -> r.queueName("ssm-reach-TriggerQueue").attributes(Map.of(
                QueueAttributeName.VISIBILITY_TIMEOUT, String.valueOf(visibilitySeconds),
                QueueAttributeName.REDRIVE_POLICY, JSON.createObjectNode().put("deadLetterTargetArn", deadLetterArn)
                        .put("maxReceiveCount", maxReceiveCount).toString()))).queueUrl();
        String queueArn = sqs.getQueueAttributes(r -> r.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        return new TriggerDelivery(sqs, queueUrl, queueArn, deadLetterUrl, batchSize, maxReceiveCount);
    }

    /** A rule's target: the event into the trigger queue, as EventBridge sends it (the event as the body). */
    public void put(String eventJson) {
        sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody(eventJson));
    }

    /** {@link #pump(Starter)} into this workflow: the batch's execution, to its end. */
    public Optional<Execution> pump(LocalWorkflow workflow) {
        return pump((batch, started) -> workflow.execute(batch, event -> {
            if ("ExecutionStarted".equals(event.type())) {
                started.run();
            }
        }));
    }

    /**
     * One turn of the pipe: reads up to a batch of visible messages and starts the workflow with
     * them; empty when the queue had none or the start was refused. Messages are deleted as soon as
     * the execution has started (the pipe invokes Step Functions fire and forget); when the start is
     * refused they stay, to come back after the visibility timeout (and, received too often, to go
     * to the dead-letter queue).
     */
    public Optional<Execution> pump(Starter starter) {
        List<Message> batch = receive();
        if (batch.isEmpty()) {
            return Optional.empty();
        }
        AtomicBoolean deleted = new AtomicBoolean();
        Runnable started = () -> {
            if (!deleted.getAndSet(true)) {
                for (Message message : batch) {
                    sqs.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(message.receiptHandle()));
                }
            }
        };
        Execution execution;
        try {
            execution = starter.start(records(batch).toString(), started);
        } catch (Refused refused) {
            return Optional.empty();
        }
        started.run();
        return Optional.of(execution);
    }

    /** The batch as the pipe hands it to Step Functions: a JSON array of SQS messages. */
    ArrayNode records(List<Message> batch) {
        ArrayNode records = JSON.createArrayNode();
        for (Message message : batch) {
            ObjectNode record = records.addObject().put("messageId", message.messageId()).put("receiptHandle", message.receiptHandle())
                    .put("body", message.body());
            ObjectNode attributes = record.putObject("attributes");
            message.attributes().forEach((name, value) -> attributes.put(name.toString(), value));
            record.putObject("messageAttributes");
            record.put("md5OfBody", message.md5OfBody()).put("eventSource", "aws:sqs").put("eventSourceARN", queueArn)
                    .put("awsRegion", LocalAws.REGION.id());
        }
        return records;
    }

    private List<Message> receive() {
        List<Message> batch = new ArrayList<>();
        while (batch.size() < batchSize) {
            List<Message> received = sqs.receiveMessage(r -> r.queueUrl(queueUrl).maxNumberOfMessages(Math.min(10, batchSize - batch.size()))
                    .messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages();
            if (received.isEmpty()) {
                break;
            }
            batch.addAll(received);
        }
        return batch;
    }

    /** The events waiting in the trigger queue for the pipe (without taking them). */
    public int visible() {
        return Integer.parseInt(sqs.getQueueAttributes(r -> r.queueUrl(queueUrl)
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)).attributes()
                .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
    }

    /** The events waiting in the dead-letter queue (without taking them). */
    public int deadLettered() {
        return Integer.parseInt(sqs.getQueueAttributes(r -> r.queueUrl(deadLetterUrl)
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)).attributes()
                .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
    }

    /** Moves every dead-lettered event back to the trigger queue (what a message move task does); how many it moved. */
    public int redrive() {
        int moved = 0;
        for (List<Message> batch; !(batch = sqs.receiveMessage(r -> r.queueUrl(deadLetterUrl).maxNumberOfMessages(10)).messages()).isEmpty(); ) {
            for (Message message : batch) {
                sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody(message.body()));
                sqs.deleteMessage(r -> r.queueUrl(deadLetterUrl).receiptHandle(message.receiptHandle()));
                moved++;
            }
        }
        return moved;
    }

    /** How many times the pipe may fail to start with a message before it is dead-lettered (the template's). */
    public int maxReceiveCount() {
        return maxReceiveCount;
    }

    public int batchSize() {
        return batchSize;
    }
}
