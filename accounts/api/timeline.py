"""The account's notes (list, create) and its timeline (read), so a CRM can mirror them."""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import TenantQuerysetMixin, UpdatedSinceFilter
from tenancy.models import User

from .. import services
from ..models import Account, Note
from ..timeline import KINDS, account_timeline


class NoteOut(serializers.ModelSerializer):
    author = serializers.SerializerMethodField(help_text="The author's email; null for Ascend.")
    mentions = serializers.SerializerMethodField(help_text="The emails of the members mentioned.")

    class Meta:
        model = Note
        fields = ["id", "account", "kind", "author", "body", "mentions", "created_at"]
        read_only_fields = fields

    def get_author(self, note: Note) -> str | None:
        return note.author.email if note.author else None

    def get_mentions(self, note: Note) -> list[str]:
        emails = self.context.get("emails") or {}
        return [emails[pk] for pk in note.mentions if pk in emails]


class NoteIn(serializers.Serializer):
    body = serializers.CharField(
        max_length=5000,
        help_text="The note; @email (or the part before the @) mentions a member, who is emailed.",
    )


class NoteFilter(django_filters.FilterSet):
    updated_since = UpdatedSinceFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Note
        fields = ["updated_since"]


def _emails(notes) -> dict[int, str]:
    ids = {pk for note in notes for pk in note.mentions}
    return dict(User.objects.filter(pk__in=ids).values_list("pk", "email")) if ids else {}


class AccountNotesView(TenantQuerysetMixin, generics.ListCreateAPIView):
    serializer_class = NoteOut
    queryset_model = Note
    filterset_class = NoteFilter
    ordering = ["-id"]

    def safely_get_queryset(self):
        account = get_object_or_404(Account, pk=self.kwargs["account_pk"])
        return Note.objects.filter(account=account).select_related("author")

    @extend_schema(
        summary="An account's notes",
        description="The team's notes and Ascend's own lines (a CSM reassignment), newest first.",
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), "emails": _emails(page)}
        return self.get_paginated_response(NoteOut(page, many=True, context=context).data)

    @extend_schema(
        summary="Add a note to an account",
        description="Written by the signed-in member, or with no author for an API key. Each "
        "member it mentions is emailed.",
        request=NoteIn,
        responses={201: NoteOut},
    )
    def post(self, request, *args, **kwargs):
        account = get_object_or_404(Account, pk=self.kwargs["account_pk"])
        asked = NoteIn(data=request.data)
        asked.is_valid(raise_exception=True)
        author = request.user if request.user.is_authenticated else None
        note = services.note_create(
            account=account, body=asked.validated_data["body"], author=author
        )
        context = {**self.get_serializer_context(), "emails": _emails([note])}
        return Response(NoteOut(note, context=context).data, status=status.HTTP_201_CREATED)


class TimelineChangeOut(serializers.Serializer):
    input = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()
    points = serializers.FloatField(help_text="How many points of CHS this input moved.")


class EntryOut(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=list(KINDS))
    title = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    actor = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True, help_text="The page in Ascend, if any.")
    changes = TimelineChangeOut(many=True, help_text="For a CHS change: the inputs that moved it.")

    def to_representation(self, entry):
        data = super().to_representation(entry)
        data["changes"] = [
            {"input": name, "before": was, "after": now, "points": points}
            for name, was, now, points in entry.changes
        ]
        return data


class TimelineQuery(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=list(KINDS),
        required=False,
        allow_blank=True,
        help_text="Only entries of this kind.",
    )


class AccountTimelineView(APIView):
    @extend_schema(
        summary="An account's timeline",
        description="Its latest 50 entries, newest first: notes, assessments, CHS changes with "
        "the inputs that moved them, overrides, cell moves, playbook runs, finished tasks, "
        "outcomes and survey responses.",
        parameters=[TimelineQuery],
        responses={200: EntryOut(many=True)},
    )
    def get(self, request, account_pk: int):
        account = get_object_or_404(Account, pk=account_pk)
        query = TimelineQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        kind = query.validated_data.get("kind") or None
        entries = account_timeline(account, kinds={kind} if kind else None)
        return Response(EntryOut(entries, many=True).data)
