/*
 * The conversation of the stream test page: finished turns (your question, the answer) are
 * listed and sent as `messages` with the next question, oldest first; "New conversation"
 * forgets them. Text only, never HTML.
 *
 *   var conversation = window.StreamTestConversation.create(listElement, countElement);
 *   conversation.add('Hi', 'Hello!'); conversation.messages(); // [{role:'user',…},{role:'assistant',…}]
 */
(function () {
  'use strict';

  function create(list, count) {
    var turns = [];

    function render() {
      list.textContent = '';
      turns.forEach(function (turn) {
        var li = document.createElement('li');
        li.className = 'turn turn-' + turn.role;
        li.setAttribute('data-testid', 'turn-' + turn.role);
        var who = document.createElement('span');
        who.className = 'who';
        who.textContent = turn.role === 'user' ? 'You' : 'Assistant';
        var text = document.createElement('div');
        text.className = 'turn-text';
        text.textContent = turn.content;
        li.appendChild(who);
        li.appendChild(text);
        list.appendChild(li);
      });
      var pairs = turns.length / 2;
      count.textContent =
        pairs === 0
          ? 'No earlier turns: the next question starts a new conversation.'
          : pairs + ' earlier turn' + (pairs === 1 ? '' : 's') + ', sent as messages with the next question.';
    }

    render();
    return {
      /** A finished turn: the question and the whole answer. */
      add: function (question, answer) {
        turns.push({ role: 'user', content: question }, { role: 'assistant', content: answer });
        render();
      },
      clear: function () {
        turns = [];
        render();
      },
      /** The `messages` of the next request (a copy). */
      messages: function () {
        return turns.map(function (turn) {
          return { role: turn.role, content: turn.content };
        });
      },
    };
  }

  window.StreamTestConversation = { create: create };
})();
