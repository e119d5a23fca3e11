from rest_framework import serializers

from core.api import ModelSerializer

from ..models import Playbook, PlaybookRun, PlaybookStep, PlaybookTask


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlaybookStep
        fields = ["position", "title", "guidance", "due_offset_days", "owner_role"]


class PlaybookSerializer(serializers.ModelSerializer):
    steps = StepSerializer(many=True, read_only=True)
    cells = serializers.ListField(child=serializers.CharField())
    tiers = serializers.ListField(child=serializers.CharField())
    isic_codes = serializers.ListField(child=serializers.CharField())
    size_bands = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Playbook
        fields = [
            "id",
            "key",
            "name",
            "purpose",
            "cells",
            "tiers",
            "isic_codes",
            "size_bands",
            "cooldown_days",
            "is_active",
            "steps",
            "updated_at",
        ]


class TaskSerializer(ModelSerializer):
    """A CRM mirrors a task by PATCHing its status (open, done, skipped) and note."""

    playbook = serializers.IntegerField(source="run.playbook_id", read_only=True)
    assignee_email = serializers.EmailField(
        source="assignee.email",
        read_only=True,
        allow_null=True,
        help_text="The assignee's email; null while the task is unassigned.",
    )
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = PlaybookTask
        fields = [
            "id",
            "run",
            "playbook",
            "account",
            "position",
            "title",
            "guidance",
            "owner_role",
            "assignee",
            "assignee_email",
            "due_on",
            "overdue",
            "status",
            "note",
            "completed_by",
            "completed_via",
            "completed_at",
            "updated_at",
        ]
        read_only_fields = [f for f in fields if f not in ("status", "note")]
        extra_kwargs = {"note": {"max_length": 5000}}

    def get_overdue(self, task) -> bool:
        from django.utils import timezone

        return task.is_open and task.due_on < timezone.localdate()


class RunSerializer(serializers.ModelSerializer):
    tasks = TaskSerializer(many=True, read_only=True)

    class Meta:
        model = PlaybookRun
        fields = [
            "id",
            "playbook",
            "account",
            "segment",
            "status",
            "trigger",
            "migration",
            "started_by",
            "started_at",
            "ended_at",
            "updated_at",
            "tasks",
        ]
        read_only_fields = [f for f in fields if f not in ("playbook", "account")]


class RunStartSerializer(serializers.Serializer):
    """Start a playbook by hand for an account."""

    playbook = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    account = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
