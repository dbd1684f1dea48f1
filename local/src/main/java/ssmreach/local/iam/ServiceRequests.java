package ssmreach.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;

/**
 * What IAM, SNS (Query protocol), EventBridge and Step Functions (JSON protocol) ask of IAM for the
 * requests the functions send; SSM's and STS's actions have no resource-level permissions and need no model.
 */
final class ServiceRequests {
    private final String region;
    private final String account;
    private final IamClient iam;

    /** @param iam a client straight to the emulator, for the paths of roles and profiles */
    ServiceRequests(String region, String account, IamClient iam) {
        this.region = region;
        this.account = account;
        this.iam = iam;
    }

    /** A Query-protocol request of IAM or SNS; empty when the operation has no model. */
    Optional<AccessRequest> query(String service, String operation, Map<String, String> form) {
        String action = service + ":" + operation;
        return Optional.ofNullable(switch (action) {
            case "iam:GetInstanceProfile" -> new AccessRequest(action, List.of(new AccessRequest.Target("instance-profile",
                    profileArn(form.get("InstanceProfileName")), Map.of())), Map.of());
            case "iam:SimulatePrincipalPolicy" -> {
                String source = form.getOrDefault("PolicySourceArn", "");
                String type = source.contains(":user/") ? "user" : source.contains(":group/") ? "group" : "role";
                yield new AccessRequest(action, List.of(new AccessRequest.Target(type, source, Map.of())), Map.of());
            }
            case "iam:AttachRolePolicy" -> new AccessRequest(action, List.of(new AccessRequest.Target("role",
                    roleArn(form.get("RoleName")), Map.of())), Map.of("iam:PolicyARN", form.getOrDefault("PolicyArn", "")));
            case "sns:Publish" -> new AccessRequest(action, List.of(new AccessRequest.Target("topic",
                    form.getOrDefault("TopicArn", form.getOrDefault("TargetArn", "")), Map.of())), Map.of());
            default -> null;
        });
    }

    /** A JSON-protocol request of EventBridge or Step Functions; empty when the operation has no model. */
    Optional<AccessRequest> json(String service, String operation, JsonNode body) {
        String action = service + ":" + operation;
        switch (action) {
            case "states:ListExecutions" -> {
                return Optional.of(new AccessRequest(action, List.of(new AccessRequest.Target("statemachine",
                        body.path("stateMachineArn").asText(), Map.of())), Map.of()));
            }
            case "states:DescribeExecution" -> {
                return Optional.of(new AccessRequest(action, List.of(new AccessRequest.Target("execution",
                        body.path("executionArn").asText(), Map.of())), Map.of()));
            }
            case "events:PutEvents" -> { }
            default -> {
                return Optional.empty();
            }
        }
        // Each bus is authorized with the sources and detail types of its entries (multi-valued keys).
        Map<String, List<JsonNode>> byBus = new java.util.TreeMap<>();
        for (JsonNode entry : body.path("Entries")) {
            String bus = entry.path("EventBusName").asText("default");
            byBus.computeIfAbsent(bus.startsWith("arn:") ? bus : "arn:aws:events:" + region + ":" + account + ":event-bus/" + bus,
                    b -> new ArrayList<>()).add(entry);
        }
        List<AccessRequest.Target> targets = new ArrayList<>();
        byBus.forEach((arn, entries) -> targets.add(new AccessRequest.Target("event-bus", arn, Map.of(
                "events:source", entries.stream().map(e -> e.path("Source").asText()).distinct().toList(),
                "events:detail-type", entries.stream().map(e -> e.path("DetailType").asText()).distinct().toList()))));
        return Optional.of(new AccessRequest("events:PutEvents", targets, Map.of()));
    }

    private String profileArn(String name) {
        try {
            return iam.getInstanceProfile(r -> r.instanceProfileName(name)).instanceProfile().arn();
        } catch (NoSuchEntityException e) {
            return "arn:aws:iam::" + account + ":instance-profile/" + name;
        }
    }

    private String roleArn(String name) {
        try {
            return iam.getRole(r -> r.roleName(name)).role().arn();
        } catch (NoSuchEntityException e) {
            return "arn:aws:iam::" + account + ":role/" + name;
        }
    }
}
