using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Language;
using Patronus.GraphQL.Types;

namespace Patronus.GraphQL.Validation;

/// <summary>
/// Validates an executable document against a schema with every rule of spec §5 (the rules
/// graphql-js's validate() applies, with its messages). Stops after <c>maxErrors</c> errors.
/// </summary>
public static class DocumentValidator
{
    /// <summary>
    /// Validates; returns the errors (empty when valid). Throws <see cref="OperationCanceledException"/>
    /// when <paramref name="cancellationToken"/> fires (checked per node and per field pair compared).
    /// </summary>
    public static IReadOnlyList<GraphQLError> Validate(Schema schema, DocumentNode document, int maxErrors = 100, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(document);
        var typeInfo = new TypeInfo(schema);
        var context = new ValidationContext(schema, document, typeInfo, maxErrors) { CancellationToken = cancellationToken };
        NodeVisitor[] rules =
        [
            new ExecutableDefinitionsRule(context),
            new UniqueOperationNamesRule(context),
            new LoneAnonymousOperationRule(context),
            new SingleFieldSubscriptionsRule(context),
            new KnownTypeNamesRule(context),
            new FragmentsOnCompositeTypesRule(context),
            new VariablesAreInputTypesRule(context),
            new ScalarLeafsRule(context),
            new FieldsOnCorrectTypeRule(context),
            new UniqueFragmentNamesRule(context),
            new KnownFragmentNamesRule(context),
            new NoUnusedFragmentsRule(context),
            new PossibleFragmentSpreadsRule(context),
            new NoFragmentCyclesRule(context),
            new UniqueVariableNamesRule(context),
            new NoUndefinedVariablesRule(context),
            new NoUnusedVariablesRule(context),
            new KnownDirectivesRule(context),
            new UniqueDirectivesPerLocationRule(context),
            new KnownArgumentNamesRule(context),
            new UniqueArgumentNamesRule(context),
            new ValuesOfCorrectTypeRule(context),
            new ProvidedRequiredArgumentsRule(context),
            new VariablesInAllowedPositionRule(context),
            new OverlappingFieldsCanBeMergedRule(context),
            new UniqueInputFieldNamesRule(context),
            new MaxIntrospectionDepthRule(context),
        ];
        var walker = new DocumentWalker(typeInfo, rules, cancellationToken);
        context.Walker = walker;
        walker.Walk(document);
        if (context.TooManyErrors)
        {
            return [.. context.Errors, new GraphQLError("Too many validation errors, error limit reached. Validation aborted.")];
        }

        return context.Errors;
    }
}
