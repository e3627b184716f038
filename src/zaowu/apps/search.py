"""The ``search`` app: a question across chosen knowledge bases → a short answer with its sources (file,
page or sheet, quote), or the documents' "they do not say" when nothing relevant is found."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..studio.templates import Localized
from ..studio.workflows import Step, StepContext, WorkflowRun, WorkflowSpec
from ..types import Message, TextRequest
from .base import App, AppInput, input_field

ANSWER_TOKENS = 120  # a short answer


class SearchInput(AppInput):
    question: str = input_field(..., en="Question", zh="问题", min_length=1, max_length=1000)
    knowledge_bases: list[str] = input_field(..., en="Knowledge bases", zh="知识库", min_length=1, max_length=16)


class SearchResult(BaseModel):
    answer: str
    refused: bool
    sources: list[dict[str, Any]]


class Answer(Step):
    id = "search.answer"
    title = "Search the knowledge bases and answer with sources"
    cacheable = False
    scope = "text"

    class Inputs(BaseModel):
        input: dict[str, Any]

    class Outputs(BaseModel):
        answer: str
        refused: bool
        sources: list[dict[str, Any]]

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        inp = SearchInput.model_validate(inputs.input)
        request = TextRequest(
            model=ctx.model,
            messages=[Message(role="user", content=inp.question)],
            max_tokens=ANSWER_TOKENS,
            seed=ctx.seed,
            temperature=0.2,
        )
        viewer = ctx.studio.keys.principal(ctx.key_id)
        result, knowledge = ctx.studio.knowledge.answer(request, inp.knowledge_bases, viewer=viewer, who=ctx.run_caller)
        ctx.generation(result.generation_id)
        return self.Outputs(answer=result.text, refused=knowledge["refused"], sources=knowledge["citations"])


class Search(App):
    id = "search"
    title = Localized(zh="知识搜索", en="Search")
    description = Localized(
        zh="在选定的知识库中提问，得到简短回答和出处。",
        en="Ask across chosen knowledge bases: a short answer with sources.",
    )
    Input = SearchInput
    Result = SearchResult

    def workflow(self, input: SearchInput) -> WorkflowSpec:
        return WorkflowSpec.model_validate(
            {
                "id": "search",
                "inputs": {"input": {"type": "object"}},
                "nodes": {"answer": {"step": Answer.id, "with": {"input": "${inputs.input}"}}},
                "outputs": {
                    "answer": "${answer.answer}",
                    "refused": "${answer.refused}",
                    "sources": "${answer.sources}",
                },
            }
        )

    def result(self, run: WorkflowRun, input: SearchInput) -> SearchResult:
        return SearchResult.model_validate(run.outputs or {})
