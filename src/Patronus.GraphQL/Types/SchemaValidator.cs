namespace Patronus.GraphQL.Types;

/// <summary>The spec's type system rules (graphql-js validateSchema, with its messages).</summary>
internal static class SchemaValidator
{
    public static List<string> Validate(Schema schema)
    {
        var errors = new List<string>();
        foreach (var directive in schema.Directives)
        {
            if (Directives.IsSpecified(directive))
            {
                continue;
            }

            ValidateName(directive.Name, errors);
            if (directive.Locations.Count == 0)
            {
                errors.Add($"Directive @{directive.Name} must include 1 or more locations.");
            }

            foreach (var argument in directive.Arguments)
            {
                ValidateName(argument.Name, errors);
                if (!argument.Type.IsInputType)
                {
                    errors.Add($"The type of @{directive.Name}({argument.Name}:) must be Input Type but got: {argument.Type}.");
                }

                if (argument.IsRequired && argument.IsDeprecated)
                {
                    errors.Add($"Required argument @{directive.Name}({argument.Name}:) cannot be deprecated.");
                }
            }
        }

        var inputCycles = new InputCycleDetector(errors);
        foreach (var type in schema.Types)
        {
            if (type.Name.StartsWith("__", StringComparison.Ordinal))
            {
                if (Introspection.IntrospectionTypes.All.Contains(type))
                {
                    continue;
                }
            }

            ValidateName(type.Name, errors);
            switch (type)
            {
                case FieldsType fields:
                    ValidateFields(fields, errors);
                    ValidateInterfaces(schema, fields, errors);
                    break;
                case UnionType union when union.Types.Count == 0:
                    errors.Add($"Union type {union.Name} must define one or more member types.");
                    break;
                case EnumType enumType:
                    if (enumType.Values.Count == 0)
                    {
                        errors.Add($"Enum type {enumType.Name} must define one or more values.");
                    }

                    foreach (var value in enumType.Values)
                    {
                        ValidateName(value.Name, errors);
                        if (value.Name is "true" or "false" or "null")
                        {
                            errors.Add($"Enum type {enumType.Name} cannot include value: {value.Name}.");
                        }
                    }

                    break;
                case InputObjectType input:
                    if (input.Fields.Count == 0)
                    {
                        errors.Add($"Input Object type {input.Name} must define one or more fields.");
                    }

                    foreach (var field in input.Fields)
                    {
                        ValidateName(field.Name, errors);
                        if (!field.Type.IsInputType)
                        {
                            errors.Add($"The type of {input.Name}.{field.Name} must be Input Type but got: {field.Type}.");
                        }

                        if (field.IsRequired && field.IsDeprecated)
                        {
                            errors.Add($"Required input field {input.Name}.{field.Name} cannot be deprecated.");
                        }
                    }

                    inputCycles.Check(input);
                    break;
            }
        }

        return errors;
    }

    private static void ValidateName(string name, List<string> errors)
    {
        if (name.StartsWith("__", StringComparison.Ordinal))
        {
            errors.Add($"Name \"{name}\" must not begin with \"__\", which is reserved by GraphQL introspection.");
        }

        if (name.Length == 0 || !Language.Lexer.IsNameStart(name[0]) || !name.All(c => Language.Lexer.IsNameContinue(c)))
        {
            errors.Add($"Names must only contain [_a-zA-Z0-9] but \"{name}\" does not.");
        }
    }

    private static void ValidateFields(FieldsType type, List<string> errors)
    {
        if (type.Fields.Count == 0)
        {
            errors.Add($"Type {type.Name} must define one or more fields.");
        }

        foreach (var field in type.Fields)
        {
            ValidateName(field.Name, errors);
            if (!field.Type.IsOutputType)
            {
                errors.Add($"The type of {type.Name}.{field.Name} must be Output Type but got: {field.Type}.");
            }

            foreach (var argument in field.Arguments)
            {
                ValidateName(argument.Name, errors);
                if (!argument.Type.IsInputType)
                {
                    errors.Add($"The type of {type.Name}.{field.Name}({argument.Name}:) must be Input Type but got: {argument.Type}.");
                }

                if (argument.IsRequired && argument.IsDeprecated)
                {
                    errors.Add($"Required argument {type.Name}.{field.Name}({argument.Name}:) cannot be deprecated.");
                }
            }
        }
    }

    private static void ValidateInterfaces(Schema schema, FieldsType type, List<string> errors)
    {
        var seen = new HashSet<InterfaceType>();
        foreach (var iface in type.Interfaces)
        {
            if (ReferenceEquals(iface, type))
            {
                errors.Add($"Type {type.Name} cannot implement itself because it would create a circular reference.");
                continue;
            }

            if (!seen.Add(iface))
            {
                errors.Add($"Type {type.Name} can only implement {iface.Name} once.");
                continue;
            }

            foreach (var transitive in iface.Interfaces)
            {
                if (!type.Interfaces.Contains(transitive))
                {
                    errors.Add(ReferenceEquals(transitive, type)
                        ? $"Type {type.Name} cannot implement {iface.Name} because it would create a circular reference."
                        : $"Type {type.Name} must implement {transitive.Name} because it is implemented by {iface.Name}.");
                }
            }

            foreach (var ifaceField in iface.Fields)
            {
                var typeField = type.GetField(ifaceField.Name);
                if (typeField is null)
                {
                    errors.Add($"Interface field {iface.Name}.{ifaceField.Name} expected but {type.Name} does not provide it.");
                    continue;
                }

                if (!schema.IsTypeSubTypeOf(typeField.Type, ifaceField.Type))
                {
                    errors.Add($"Interface field {iface.Name}.{ifaceField.Name} expects type {ifaceField.Type} but {type.Name}.{typeField.Name} is type {typeField.Type}.");
                }

                foreach (var ifaceArg in ifaceField.Arguments)
                {
                    var typeArg = typeField.GetArgument(ifaceArg.Name);
                    if (typeArg is null)
                    {
                        errors.Add($"Interface field argument {iface.Name}.{ifaceField.Name}({ifaceArg.Name}:) expected but {type.Name}.{typeField.Name} does not provide it.");
                    }
                    else if (!GraphQLType.AreEqual(ifaceArg.Type, typeArg.Type))
                    {
                        errors.Add($"Interface field argument {iface.Name}.{ifaceField.Name}({ifaceArg.Name}:) expects type {ifaceArg.Type} but {type.Name}.{typeField.Name}({typeArg.Name}:) is type {typeArg.Type}.");
                    }
                }

                foreach (var typeArg in typeField.Arguments)
                {
                    if (typeArg.IsRequired && ifaceField.GetArgument(typeArg.Name) is null)
                    {
                        errors.Add($"Object field {type.Name}.{typeField.Name} includes required argument {typeArg.Name} that is missing from the Interface field {iface.Name}.{ifaceField.Name}.");
                    }
                }
            }
        }
    }

    // graphql-js getInputObjectCycleValidationFn: a cycle of non-null, non-list input fields can never be satisfied.
    private sealed class InputCycleDetector(List<string> errors)
    {
        private readonly HashSet<InputObjectType> _visited = [];
        private readonly List<InputValueDefinition> _path = [];
        private readonly Dictionary<InputObjectType, int> _pathIndex = [];

        public void Check(InputObjectType input)
        {
            if (!_visited.Add(input))
            {
                return;
            }

            _pathIndex[input] = _path.Count;
            foreach (var field in input.Fields)
            {
                if (field.Type is NonNullType { OfType: InputObjectType fieldType })
                {
                    _path.Add(field);
                    if (!_pathIndex.TryGetValue(fieldType, out var cycleIndex))
                    {
                        Check(fieldType);
                    }
                    else
                    {
                        var cyclePath = string.Join('.', _path.Skip(cycleIndex).Select(f => f.Name));
                        errors.Add($"Cannot reference Input Object \"{fieldType.Name}\" within itself through a series of non-null fields: \"{cyclePath}\".");
                    }

                    _path.RemoveAt(_path.Count - 1);
                }
            }

            _pathIndex.Remove(input);
        }
    }
}
