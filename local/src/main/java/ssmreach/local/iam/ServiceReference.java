package ssmreach.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The AWS Service Authorization Reference as data ({@code local/iam/service-authorization.json}):
 * per action, the resource types it authorizes (required ones marked), the condition keys AWS
 * evaluates for each, and the dependent actions the caller must also hold; per service, the ARN
 * format of each resource type and the type of each condition key.
 */
public final class ServiceReference {
    /** The file, relative to the repository root. */
    public static final String FILE = "local/iam/service-authorization.json";

    /**
     * Global keys AWS puts in every request context, whatever the action (aws:RequestTag,
     * aws:TagKeys and aws:ResourceTag are not among them: the reference lists them where they apply).
     */
    static final Set<String> GLOBAL_KEYS = Set.of("aws:principalarn", "aws:principalaccount", "aws:principaltype",
            "aws:userid", "aws:requestedregion", "aws:securetransport", "aws:currenttime", "aws:epochtime",
            "aws:viaawsservice");

    /** One row of an action's table: a resource type ({@code ""} for the action itself) and what it evaluates. */
    public record Row(String resourceType, boolean required, List<String> conditionKeys, List<String> dependentActions) {}

    /** An action: its service prefix, name, access level and rows. */
    public record Action(String service, String name, String accessLevel, List<Row> rows) {
        /** The row of a resource type, if the action authorizes that type. */
        public Optional<Row> row(String resourceType) {
            return rows.stream().filter(r -> r.resourceType().equals(resourceType)).findFirst();
        }

        /** The row of the action itself: keys evaluated whatever the resource (e.g. ec2:Region). */
        public Row actionRow() {
            return row("").orElse(new Row("", false, List.of(), List.of()));
        }

        /** True when the action has no resource-level permissions: it is authorized on {@code *} only. */
        public boolean starOnly() {
            return rows.stream().allMatch(r -> r.resourceType().isEmpty());
        }
    }

    private final JsonNode data;

    private ServiceReference(JsonNode data) {
        this.data = data;
    }

    public static ServiceReference load(Path repositoryRoot) {
        try {
            return new ServiceReference(new ObjectMapper().readTree(repositoryRoot.resolve(FILE).toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + FILE, e);
        }
    }

    /** {@code ec2:CreateVpcEndpoint} → its entry; empty when the reference does not know it. */
    public Optional<Action> action(String action) {
        int colon = action.indexOf(':');
        if (colon < 0) {
            return Optional.empty();
        }
        String service = action.substring(0, colon).toLowerCase(Locale.ROOT);
        JsonNode privilege = findIgnoringCase(data.path(service).path("privileges"), action.substring(colon + 1));
        if (privilege == null) {
            return Optional.empty();
        }
        List<Row> rows = new ArrayList<>();
        for (JsonNode row : privilege.path("resource_types")) {
            String type = row.path("resource_type").asText();
            boolean required = type.endsWith("*");
            rows.add(new Row(required ? type.substring(0, type.length() - 1) : type, required,
                    strings(row.path("condition_keys")), strings(row.path("dependent_actions"))));
        }
        return Optional.of(new Action(service, privilege.path("privilege").asText(), privilege.path("access_level").asText(), List.copyOf(rows)));
    }

    /** The ARN format of a service's resource type, e.g. {@code arn:${Partition}:ec2:${Region}:${Account}:vpc/${VpcId}}. */
    public Optional<String> arnFormat(String service, String resourceType) {
        JsonNode arn = data.path(service).path("resources").path(resourceType).path("arn");
        return arn.isTextual() ? Optional.of(arn.asText()) : Optional.empty();
    }

    /** The ARN formats of every resource type of a service. */
    public List<String> arnFormats(String service) {
        List<String> formats = new ArrayList<>();
        data.path(service).path("resources").forEach(resource -> formats.add(resource.path("arn").asText()));
        return formats;
    }

    /**
     * True when AWS sets {@code key} for this action on a resource of this type: it is listed on
     * the type's row or on the action's own row (templates such as {@code aws:ResourceTag/${TagKey}}
     * match any tag key), or it is one of the global keys. Keys are case-insensitive.
     */
    public boolean evaluates(Action action, String resourceType, String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        if (GLOBAL_KEYS.contains(lower)) {
            return true;
        }
        List<String> listed = new ArrayList<>(action.actionRow().conditionKeys());
        if (!resourceType.isEmpty()) {
            action.row(resourceType).ifPresent(row -> listed.addAll(row.conditionKeys()));
        }
        return listed.stream().anyMatch(pattern -> matches(pattern, lower));
    }

    /** {@code aws:ResourceTag/${TagKey}} matches {@code aws:resourcetag/ssm-reach:managed}; other keys match exactly. */
    static boolean matches(String pattern, String lowerKey) {
        String lowerPattern = pattern.toLowerCase(Locale.ROOT);
        int variable = lowerPattern.indexOf("${");
        if (variable < 0) {
            return lowerPattern.equals(lowerKey);
        }
        return lowerKey.startsWith(lowerPattern.substring(0, variable)) && lowerKey.length() > variable;
    }

    /**
     * The type of a condition key as a service defines it (String, ArrayOfString, Bool, ARN...);
     * empty if the service does not define it. Global keys (aws:...) are listed by each service that supports them.
     */
    public Optional<String> conditionKeyType(String service, String key) {
        JsonNode conditions = data.path(service).path("conditions");
        String lower = key.toLowerCase(Locale.ROOT);
        for (var it = conditions.fields(); it.hasNext(); ) {
            var entry = it.next();
            if (matches(entry.getKey(), lower)) {
                return Optional.of(entry.getValue().path("type").asText());
            }
        }
        return Optional.empty();
    }

    private static JsonNode findIgnoringCase(JsonNode object, String name) {
        if (object.has(name)) {
            return object.get(name);
        }
        for (var it = object.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (field.equalsIgnoreCase(name)) {
                return object.get(field);
            }
        }
        return null;
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return List.copyOf(values);
    }
}
