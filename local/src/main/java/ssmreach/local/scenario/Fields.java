package ssmreach.local.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads one JSON object of a scenario strictly: every field read is checked for its type, and
 * {@link #done()} rejects the fields nobody read, so that a typo fails loudly with its location
 * ({@code default.json: world.subnets[2]: unknown field "rout" (known: ...)}).
 */
final class Fields {
    private final String file;
    private final String where;
    private final JsonNode node;
    private final Set<String> read = new LinkedHashSet<>();

    private Fields(String file, String where, JsonNode node) {
        this.file = file;
        this.where = where;
        this.node = node;
    }

    static Fields of(String file, String where, JsonNode node) {
        Fields fields = new Fields(file, where, node);
        if (node == null || !node.isObject()) {
            throw fields.problem("must be a JSON object, not " + describe(node));
        }
        return fields;
    }

    String where() {
        return where;
    }

    String file() {
        return file;
    }

    boolean has(String key) {
        return node.has(key) && !node.get(key).isNull();
    }

    JsonNode node(String key) {
        read.add(key);
        return node.get(key);
    }

    String string(String key) {
        String value = optString(key, null);
        if (value == null) {
            throw problem("\"" + key + "\" is required");
        }
        return value;
    }

    String optString(String key, String fallback) {
        JsonNode value = node(key);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            throw at(key).problem("must be a non-empty string, not " + describe(value));
        }
        return value.asText();
    }

    /** A string that must be one of {@code allowed}; {@code fallback} when absent (null: required). */
    String choice(String key, String fallback, List<String> allowed) {
        String value = fallback == null ? string(key) : optString(key, fallback);
        if (!allowed.contains(value)) {
            throw at(key).problem("\"" + value + "\" is not one of " + allowed);
        }
        return value;
    }

    boolean bool(String key, boolean fallback) {
        Boolean value = optBool(key);
        return value == null ? fallback : value;
    }

    Boolean optBool(String key) {
        JsonNode value = node(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isBoolean()) {
            throw at(key).problem("must be true or false, not " + describe(value));
        }
        return value.booleanValue();
    }

    Integer optInt(String key) {
        JsonNode value = node(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.intValue() < 0) {
            throw at(key).problem("must be a whole number >= 0, not " + describe(value));
        }
        return value.intValue();
    }

    List<String> strings(String key) {
        JsonNode value = node(key);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw at(key).problem("must be a list of strings, not " + describe(value));
        }
        List<String> result = new ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            JsonNode item = value.get(i);
            if (!item.isTextual() || item.asText().isBlank()) {
                throw at(key + "[" + i + "]").problem("must be a non-empty string, not " + describe(item));
            }
            result.add(item.asText());
        }
        return List.copyOf(result);
    }

    /** An object of strings; a null value is kept as null (it means "absent" where documented). */
    Map<String, String> stringMap(String key, boolean nullValues) {
        JsonNode value = node(key);
        if (value == null || value.isNull()) {
            return Map.of();
        }
        if (!value.isObject()) {
            throw at(key).problem("must be an object of strings, not " + describe(value));
        }
        Map<String, String> result = new LinkedHashMap<>();
        value.properties().forEach(e -> {
            if (e.getValue().isNull() && nullValues) {
                result.put(e.getKey(), null);
            } else if (e.getValue().isTextual()) {
                result.put(e.getKey(), e.getValue().asText());
            } else {
                throw at(key + "." + e.getKey()).problem("must be a string" + (nullValues ? " or null" : "") + ", not "
                        + describe(e.getValue()));
            }
        });
        return java.util.Collections.unmodifiableMap(result);
    }

    Fields object(String key) {
        JsonNode value = node(key);
        return value == null || value.isNull() ? null : Fields.of(file, child(key), value);
    }

    List<Fields> objects(String key) {
        JsonNode value = node(key);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw at(key).problem("must be a list of objects, not " + describe(value));
        }
        List<Fields> result = new ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            result.add(Fields.of(file, child(key) + "[" + i + "]", value.get(i)));
        }
        return result;
    }

    /** Each field of an object-valued field, read strictly in turn: {@code {"name": {...}}}. */
    Map<String, Fields> objectsByName(String key) {
        JsonNode value = node(key);
        if (value == null || value.isNull()) {
            return Map.of();
        }
        if (!value.isObject()) {
            throw at(key).problem("must be an object keyed by name, not " + describe(value));
        }
        Map<String, Fields> result = new LinkedHashMap<>();
        value.properties().forEach(e -> result.put(e.getKey(), Fields.of(file, child(key) + "." + e.getKey(), e.getValue())));
        return result;
    }

    /** Rejects any field that was not read. */
    void done() {
        List<String> unknown = new ArrayList<>();
        node.fieldNames().forEachRemaining(name -> {
            if (!read.contains(name)) {
                unknown.add(name);
            }
        });
        if (!unknown.isEmpty()) {
            throw problem("unknown field" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown.stream()
                    .map(u -> "\"" + u + "\"").toList()) + " (known here: " + String.join(", ", new TreeSet<>(read)) + ")");
        }
    }

    Fields at(String key) {
        return new Fields(file, child(key), node);
    }

    ScenarioException problem(String message) {
        return new ScenarioException(file + ": " + (where.isEmpty() ? "" : where + ": ") + message);
    }

    private String child(String key) {
        return where.isEmpty() ? key : where + "." + key;
    }

    static String describe(JsonNode node) {
        if (node == null || node.isNull()) {
            return "nothing";
        }
        String text = node.toString();
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }
}
