from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.filters import AccountFilter
from accounts.models import Account
from health.api.serializers import RawValueField
from tenancy.api.feed import FEED_PARAMETERS, feed_query

from .. import selectors
from ..models import Grid
from ..selectors import grid_current
from .serializers import FeedOut, GridOut


class GridSummaryView(APIView):
    """The grid's cells with counts, shares and ARR, under the account list's filters."""

    # Declared so the schema lists the account filters this view applies (filters=True).
    filter_backends = [DjangoFilterBackend]
    filterset_class = AccountFilter
    queryset = Account.objects.none()

    @extend_schema(
        filters=True,
        summary="The grid's cells with their accounts and ARR",
        description="Counts, shares and ARR per cell, under the same filters as the account list.",
        parameters=[OpenApiParameter("view", enum=["3x3", "2x2"], required=False)],
        responses={200: GridOut, 400: OpenApiResponse(description="A filter was invalid.")},
    )
    def get(self, request):
        grid = grid_current()
        view = request.query_params.get("view") or grid.view
        if view not in Grid.View.values:
            raise ValidationError({"view": ["One of 3x3, 2x2."]})
        filterset = AccountFilter(request.query_params, queryset=Account.objects.all())
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        stats, unsegmented, count, arr = selectors.grid_summary(filterset.qs, grid, view)
        return Response(
            GridOut(
                {
                    "view": view,
                    "accounts": count,
                    "arr": arr,
                    "cells": stats,
                    "unsegmented": unsegmented,
                }
            ).data
        )


class MigrationFeedView(APIView):
    """Tier migrations in commit order. Poll with ?since=<next>: no event is missed or repeated,
    even one whose transaction commits late."""

    @extend_schema(
        summary="Tier migrations, in commit order",
        description="Poll with `since` set to the previous page's `next`: no migration is "
        "missed or repeated, even one whose transaction commits late.",
        parameters=FEED_PARAMETERS,
        responses={200: FeedOut, 400: OpenApiResponse(description="A bad cursor or limit.")},
    )
    def get(self, request):
        after, limit = feed_query(request)
        page, cursor, more = selectors.migrations_feed(after=after, limit=limit)
        return Response(FeedOut({"results": page, "next": cursor, "more": more}).data)


class MoveChangeOut(serializers.Serializer):
    input = serializers.CharField(help_text="The measure's or factor's name.")
    key = serializers.CharField(help_text="The measure's metric, or the factor's key.")
    side = serializers.ChoiceField(choices=["chs", "cmi"])
    before = RawValueField(help_text="Today's value: a number, a category, or null.")
    after = RawValueField(help_text="The value that reaches the cell.")


class NextMoveOut(serializers.Serializer):
    cell = serializers.CharField(help_text="The better cell's key.")
    cell_name = serializers.CharField()
    changes = MoveChangeOut(many=True)
    chs = serializers.FloatField(allow_null=True, help_text="The CHS after the changes.")
    cmi = serializers.FloatField(allow_null=True, help_text="The CMI after the changes.")


class AccountNextMovesView(APIView):
    @extend_schema(
        summary="What moves an account to a better cell",
        description="For each better neighbouring cell (one row up in health, one column up in "
        "maturity, or both), the smallest changes to the account's current metric values or "
        "maturity factors that reach it, smallest first, scored by the production scoring "
        "against today's thresholds (overrides aside). Empty without an active scorecard, a "
        "primary framework, or a better cell within reach.",
        responses={200: NextMoveOut(many=True)},
    )
    def get(self, request, account_pk: int):
        account = get_object_or_404(Account, pk=account_pk)
        names = selectors.cell_names(layout="3x3")
        moves = [
            {
                "cell": move.cell,
                "cell_name": names.get(move.cell, move.cell),
                "changes": [
                    {
                        "input": c.input,
                        "key": c.key,
                        "side": c.side,
                        "before": c.before,
                        "after": c.after,
                    }
                    for c in move.changes
                ],
                "chs": move.chs,
                "cmi": move.cmi,
            }
            for move in selectors.account_next_moves(account)
        ]
        return Response(NextMoveOut(moves, many=True).data)
