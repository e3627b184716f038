"""The ``customer-service`` app: a shop's knowledge bases + policy + tone → an assistant that answers its
customers with citations, keeps each conversation and hands to a person what the documents do not answer
(studio/knowledge/assistants.py holds the logic; this is its typed app face).

Without ``assistant_id`` the run creates the assistant and returns its widget key and script tag (shown
once); with ``message`` it also answers that message, in ``conversation_id`` when given."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from ..studio.templates import Localized
from ..studio.workflows import Step, StepContext, WorkflowRun, WorkflowSpec
from .base import App, AppInput, input_field


class CustomerServiceInput(AppInput):
    assistant_id: str | None = input_field(
        None, en="Assistant", zh="客服助手", help_en="Empty: create a new one", help_zh="留空则新建", max_length=40
    )
    knowledge_bases: list[str] = input_field([], en="Knowledge bases", zh="知识库", max_length=16)
    name: str = input_field("Shop", en="Shop name", zh="店铺名称", min_length=1, max_length=100)
    policy: str = input_field("", en="Shop policy", zh="店铺政策", max_length=4000)
    tone: str = input_field("", en="Tone", zh="语气", max_length=200)
    allowed_origins: list[str] = input_field(
        [],
        en="Sites allowed to embed the widget",
        zh="允许嵌入聊天窗口的网站",
        help_en="Like https://shop.example",
        help_zh="如 https://shop.example",
        max_length=20,
    )
    message: str | None = input_field(None, en="Customer message", zh="顾客消息", max_length=1000)
    conversation_id: str | None = input_field(None, en="Conversation", zh="会话", max_length=60)

    @model_validator(mode="after")
    def _needs_a_base(self) -> CustomerServiceInput:
        if self.assistant_id is None and not self.knowledge_bases:
            raise ValueError("knowledge_bases: a new assistant needs at least one knowledge base (a vector store id)")
        return self


class CustomerServiceResult(BaseModel):
    assistant_id: str
    widget_key: str | None = Field(None, description="shown once, when the assistant is created")
    reply: dict[str, Any] | None = None


class Reply(Step):
    id = "customer_service.reply"
    title = "Create the assistant if needed, and answer the customer from the knowledge bases"
    cacheable = False
    scope = "text"

    class Inputs(BaseModel):
        input: dict[str, Any]

    class Outputs(BaseModel):
        assistant_id: str
        widget_key: str | None = None
        reply: dict[str, Any] | None = None

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        inp = CustomerServiceInput.model_validate(inputs.input)
        viewer = ctx.studio.keys.principal(ctx.key_id)
        desk = ctx.studio.knowledge.assistants
        key = None
        assistant_id = inp.assistant_id
        if assistant_id is None:
            row, key = desk.create(
                inp.name,
                inp.knowledge_bases,
                policy=inp.policy,
                tone=inp.tone,
                allowed_origins=inp.allowed_origins,
                viewer=viewer,
            )
            assistant_id = row["id"]
        reply = None
        if inp.message:
            reply = desk.reply(
                assistant_id,
                inp.message,
                conversation_id=inp.conversation_id,
                viewer=viewer,
                who=ctx.run_caller,
                model=ctx.model,
                seed=ctx.seed,
            )
        return self.Outputs(assistant_id=assistant_id, widget_key=key, reply=reply)


class CustomerService(App):
    id = "customer-service"
    title = Localized(zh="智能客服", en="Customer service")
    description = Localized(
        zh="用店铺的知识库、政策和语气回答顾客，附引用来源；资料没有的转接人工。",
        en="Answers customers from the shop's knowledge bases, policy and tone, with sources; hands off the rest.",
    )
    Input = CustomerServiceInput
    Result = CustomerServiceResult

    def workflow(self, input: CustomerServiceInput) -> WorkflowSpec:
        return WorkflowSpec.model_validate(
            {
                "id": "customer-service",
                "inputs": {"input": {"type": "object"}},
                "nodes": {"reply": {"step": Reply.id, "with": {"input": "${inputs.input}"}}},
                "outputs": {
                    "assistant_id": "${reply.assistant_id}",
                    "widget_key": "${reply.widget_key}",
                    "reply": "${reply.reply}",
                },
            }
        )

    def result(self, run: WorkflowRun, input: CustomerServiceInput) -> CustomerServiceResult:
        return CustomerServiceResult.model_validate(run.outputs or {})
